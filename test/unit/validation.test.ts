// The contract's field rules (src/core/validation.ts), shared by the hub (authoritative) and the clients.
import assert from 'assert';
import fc from 'fast-check';
import {
  parseIsoDate,
  truncateForMessage,
  validateEndpointIds,
  validateEnvVariableName,
  validateExpiry,
  validateTokenName,
  calendarDateProblem,
} from '../../src/core/validation';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const policy = { defaultLifetimeDays: 30, maxLifetimeDays: 365, allowNoExpiry: false };

describe('validateTokenName', () => {
  it('accepts lowercase letters, digits and inner hyphens, 1 to 64 characters', () => {
    for (const name of ['a', '7', 'billing-service-prod', 'a-b-c', 'x'.repeat(64), '0-0', 'a--b']) assert.strictEqual(validateTokenName(name), null, name);
  });

  it('explains each kind of bad name', () => {
    assert.match(validateTokenName('')!, /Enter a name/);
    assert.match(validateTokenName(undefined)!, /Enter a name/);
    assert.match(validateTokenName(42)!, /Enter a name/);
    assert.match(validateTokenName('x'.repeat(65))!, /65 characters long; use at most 64/);
    assert.match(validateTokenName('Billing')!, /lowercase/);
    assert.match(validateTokenName('-billing')!, /Start and end/);
    assert.match(validateTokenName('billing-')!, /Start and end/);
    assert.match(validateTokenName('has space')!, /only lowercase letters, digits and hyphens/);
    assert.match(validateTokenName('under_score')!, /only lowercase letters, digits and hyphens/);
    // Each refused character is named, so the person sees what to change.
    assert.equal(
      validateTokenName('My Token!'),
      'Use only lowercase letters, digits and hyphens in the name: M and T are capital letters (use lowercase); it has a space (use a hyphen); "!" is not allowed.',
    );
    assert.match(validateTokenName('under_score')!, /"_" is not allowed/);
  });

  it('calendarDateProblem: the shape, then whether the day exists', () => {
    assert.equal(calendarDateProblem('2026-12-31'), null);
    assert.equal(calendarDateProblem('2028-02-29'), null);
    assert.equal(calendarDateProblem('2026-02-30'), '2026-02-30 does not exist: February 2026 has 28 days.');
    assert.equal(calendarDateProblem('2026-04-31'), '2026-04-31 does not exist: April 2026 has 30 days.');
    assert.match(calendarDateProblem('2026-00-10')!, /month must be 01 to 12/);
    assert.match(calendarDateProblem('31/12/2026')!, /YYYY-MM-DD/);
  });

  it('property: agrees with the contract pattern', () => {
    const pattern = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-z0-9-]{1,66}$/)), (name) => {
        const ok = name.length >= 1 && name.length <= 64 && pattern.test(name);
        assert.strictEqual(validateTokenName(name) === null, ok, name);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('validateEndpointIds', () => {
  const known = new Set(['chat-completions', 'embeddings']);

  it('accepts 1 to 50 distinct known ids', () => {
    assert.strictEqual(validateEndpointIds(['chat-completions'], known), null);
    assert.strictEqual(validateEndpointIds(['embeddings', 'chat-completions'], known), null);
    assert.strictEqual(validateEndpointIds(Array.from({ length: 50 }, (_, i) => `e${i}`)), null);
  });

  it('explains what is wrong', () => {
    assert.match(validateEndpointIds([])!, /at least one/);
    assert.match(validateEndpointIds('chat')!, /at least one/);
    assert.match(validateEndpointIds(Array.from({ length: 51 }, (_, i) => `e${i}`))!, /at most 50/);
    assert.match(validateEndpointIds(['a', 'a'])!, /only once/);
    assert.match(validateEndpointIds([1])!, /by its id/);
    assert.match(validateEndpointIds([''])!, /by its id/);
    assert.match(validateEndpointIds(['chat-completions', 'nope'], known)!, /no endpoint "nope"/);
    assert.match(validateEndpointIds(['x'.repeat(100)], known)!, /x{40}…/);
  });
});

describe('validateExpiry', () => {
  it('accepts times from one minute to maxLifetimeDays ahead', () => {
    assert.strictEqual(validateExpiry(new Date(NOW + 60_000).toISOString(), policy, NOW), null);
    assert.strictEqual(validateExpiry(new Date(NOW + 365 * DAY).toISOString(), policy, NOW), null);
    assert.strictEqual(validateExpiry('2027-01-01', policy, NOW), null);
  });

  it('refuses past, too near, too far and unparseable times, and null unless allowed', () => {
    assert.match(validateExpiry(new Date(NOW + 59_999).toISOString(), policy, NOW)!, /at least one minute/);
    assert.match(validateExpiry(new Date(NOW - DAY).toISOString(), policy, NOW)!, /at least one minute/);
    assert.match(validateExpiry(new Date(NOW + 365 * DAY + 1).toISOString(), policy, NOW)!, /within 365 days/);
    assert.match(validateExpiry('soon', policy, NOW)!, /ISO 8601/);
    assert.match(validateExpiry(null, policy, NOW)!, /requires every token to expire/);
    assert.strictEqual(validateExpiry(null, { ...policy, allowNoExpiry: true }, NOW), null);
  });

  it('property: a valid expiry is exactly one in [now + 1 min, now + max days]', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2 * DAY, max: 400 * DAY }), (offset) => {
        const ok = offset >= 60_000 && offset <= 365 * DAY;
        assert.strictEqual(validateExpiry(new Date(NOW + offset).toISOString(), policy, NOW) === null, ok);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseIsoDate', () => {
  it('reads strict ISO 8601 dates and date-times as UTC unless a zone is given', () => {
    assert.strictEqual(parseIsoDate('2026-12-31'), Date.UTC(2026, 11, 31));
    assert.strictEqual(parseIsoDate('2026-12-31T10:20'), Date.UTC(2026, 11, 31, 10, 20));
    assert.strictEqual(parseIsoDate('2026-12-31T10:20:30.123Z'), Date.UTC(2026, 11, 31, 10, 20, 30, 123));
    assert.strictEqual(parseIsoDate('2026-12-31T10:20:30+02:00'), Date.UTC(2026, 11, 31, 8, 20, 30));
  });

  it('refuses impossible dates and other formats', () => {
    for (const text of ['2026-02-31', '2026-13-01', '2026-12-31T24:00', '31/12/2026', 'tomorrow', '', '2026-12-31 10:00', '2026-1-1']) {
      assert.strictEqual(parseIsoDate(text), null, text);
    }
    assert.strictEqual(parseIsoDate(undefined as unknown as string), null);
  });

  it('property: round-trips toISOString', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }), (date) => {
        assert.strictEqual(parseIsoDate(date.toISOString()), date.getTime());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('other rules', () => {
  it('validateEnvVariableName', () => {
    for (const name of ['TOKENHUB_TOKEN', '_x', 'a1']) assert.strictEqual(validateEnvVariableName(name), null);
    for (const name of ['', '1A', 'A-B', 'A B', 'É']) assert.ok(validateEnvVariableName(name));
  });

  it('truncateForMessage', () => {
    assert.strictEqual(truncateForMessage('short'), 'short');
    assert.strictEqual(truncateForMessage('x'.repeat(41)), `${'x'.repeat(40)}…`);
    assert.strictEqual(truncateForMessage('abcdef', 3), 'abc…');
  });
});
