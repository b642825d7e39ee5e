import * as assert from 'assert/strict';
import { daysFromNow, describeExpiry, describeLastUsed, describeSpan, expiryState, formatInstant, isoTime } from '../../src/core/dates';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const ahead = (ms: number) => new Date(NOW + ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('relative dates', () => {
  const spans: Array<[number, string]> = [
    [0, 'less than a minute'],
    [59_999, 'less than a minute'],
    [MIN, '1 minute'],
    [5 * MIN + 10_000, '5 minutes'],
    [HOUR, '1 hour'],
    [23 * HOUR, '23 hours'],
    [DAY, '1 day'],
    [3 * DAY + HOUR, '3 days'],
    [59 * DAY, '59 days'],
    [60 * DAY, '2 months'],
    [364 * DAY, '12 months'],
    [365 * DAY, '1 year'],
    [800 * DAY, '2 years'],
  ];
  for (const [ms, text] of spans) {
    it(`describes ${ms} ms as "${text}"`, () => assert.equal(describeSpan(ms), text));
  }

  it('says never used, just now, and how long ago', () => {
    assert.equal(describeLastUsed(null, NOW), 'never used');
    assert.equal(describeLastUsed(ago(10_000), NOW), 'used just now');
    assert.equal(describeLastUsed(ago(3 * DAY), NOW), 'used 3 days ago');
    assert.equal(describeLastUsed(ago(HOUR), NOW), 'used 1 hour ago');
  });

  it('classifies expiry against the warning window', () => {
    assert.equal(expiryState(null, 7, NOW), 'never');
    assert.equal(expiryState(ago(1), 7, NOW), 'expired');
    assert.equal(expiryState(ahead(0), 7, NOW), 'expired', 'the instant of expiry is already expired');
    assert.equal(expiryState(ahead(7 * DAY), 7, NOW), 'expiring', 'the window includes its last instant');
    assert.equal(expiryState(ahead(7 * DAY + 1), 7, NOW), 'active');
    assert.equal(expiryState(ahead(HOUR), 0, NOW), 'active', 'a zero window never warns');
  });

  it('does not flag a token as expiring until it is past half its life', () => {
    const createdNow = new Date(NOW).toISOString();
    assert.equal(expiryState(ahead(7 * DAY), 7, NOW, createdNow), 'active', 'a fresh 7-day token is not "expiring"');
    assert.equal(expiryState(ahead(3 * DAY), 7, NOW, ago(4 * DAY)), 'expiring', 'past half of a 7-day life');
    assert.equal(expiryState(ahead(7 * DAY), 7, NOW, ago(23 * DAY)), 'expiring', 'a 30-day token, 7 days before its end');
    assert.equal(expiryState(ahead(8 * DAY), 7, NOW, ago(22 * DAY)), 'active', 'outside the window');
  });

  it('describes expiry in both directions', () => {
    assert.equal(describeExpiry(null, NOW), 'never expires');
    assert.equal(describeExpiry(ahead(5 * DAY), NOW), 'expires in 5 days');
    assert.equal(describeExpiry(ahead(7 * DAY - 5000), NOW), 'expires in 7 days', 'ahead rounds to the nearest day');
    assert.equal(describeLastUsed(ago(2 * DAY - 5000), NOW), 'used 1 day ago', 'the past rounds down');
    assert.equal(describeExpiry(ago(2 * HOUR), NOW), 'expired 2 hours ago');
  });

  it('formats instants unambiguously in UTC and computes days ahead', () => {
    assert.equal(formatInstant('2026-11-22T09:05:00.000Z'), '22 Nov 2026, 09:05 UTC');
    assert.equal(formatInstant(null), '—');
    assert.equal(daysFromNow(30, NOW), '2026-12-22T10:00:00.000Z');
  });
});

describe('isoTime (the hub formats every listed instant with it)', () => {
  it('gives exactly what Date#toISOString gives, edges and 20,000 random instants', () => {
    const edges = [0, 1, 999, 1000, DAY - 1, DAY, NOW, Date.parse('2000-02-29T23:59:59.999Z'), 253_402_300_799_999, 253_402_300_800_000, -1, 1.5];
    let x = 7;
    const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 253_402_300_800_000;
    for (const ms of [...edges, ...Array.from({ length: 20_000 }, () => Math.floor(random()))]) {
      assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
    }
  });
});
