import assert from 'assert';
import type { AuditEvent, TokenUsage } from '../../src/contract/types';
import { formatCount, historyLine, usageLine, usageModel } from '../../src/core/usageSummary';

const day = (date: string, byEndpoint: Record<string, { accepted: number; refused: number }>) => ({
  date,
  accepted: Object.values(byEndpoint).reduce((s, c) => s + c.accepted, 0),
  refused: Object.values(byEndpoint).reduce((s, c) => s + c.refused, 0),
  byEndpoint,
});

const usage: TokenUsage = {
  tokenId: 'tok_0000000000000000',
  days: [day('2026-11-29', {}), day('2026-11-30', { 'chat-completions': { accepted: 1200, refused: 2 } }), day('2026-12-01', { embeddings: { accepted: 30, refused: 0 }, other: { accepted: 0, refused: 2 } })],
  lastUsedAt: '2026-12-01T10:00:00.000Z',
  lastClientAddress: '10.0.0.3',
  lastUserAgent: 'python-requests/2.32',
};

describe('usage summary', () => {
  it('the tooltip line: grouped count, window, last client', () => {
    assert.strictEqual(formatCount(1234567), '1,234,567');
    assert.strictEqual(usageLine(usage), '1,234 calls in 3 days · last from 10.0.0.3 (python-requests/2.32)');
    assert.strictEqual(usageLine({ ...usage, days: [day('2026-12-01', {})] }), 'No calls in 1 day');
    assert.strictEqual(usageLine({ ...usage, lastUserAgent: null }), '1,234 calls in 3 days · last from 10.0.0.3');
  });

  it('the history line: oldest first, by label or mask or operator, token events only', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const event = (action: AuditEvent['action'], at: string, actor: AuditEvent['actor']): AuditEvent => ({ id: 'evt_1', at, action, actor, clientAddress: null, userAgent: null });
    const alice = { kind: 'account_key' as const, accountKeyId: 'ak_1', maskedKey: 'thak_Ab12…x7Qa', label: 'alice' };
    const events = [
      event('token.rotated', '2026-12-01T11:00:00Z', { ...alice, label: null }),
      event('token.created', '2026-11-28T12:00:00Z', alice),
      event('endpoint.changed', '2026-11-30T12:00:00Z', { kind: 'operator' }),
    ];
    assert.strictEqual(historyLine(events, now), 'created by alice 3 days ago · rotated by thak_Ab12…x7Qa 1 hour ago');
    assert.strictEqual(historyLine([], now), '');
  });

  it('the view model: the token\'s endpoints first, then others refused, every day, the peak', () => {
    const model = usageModel(usage, ['chat-completions', 'embeddings']);
    assert.deepStrictEqual(model.endpoints.map((e) => [e.endpointId, e.accepted, e.refused]), [['chat-completions', 1200, 2], ['embeddings', 30, 0], ['other', 0, 2]]);
    assert.deepStrictEqual(model.endpoints[0].days.map((d) => d.accepted), [0, 1200, 0]);
    assert.strictEqual(model.peak, 1202);
    assert.deepStrictEqual(model.dates, ['2026-11-29', '2026-11-30', '2026-12-01']);
  });
});
