// The validators behind the extension's prompts: pure functions, so they are checked here without VS Code.
import * as assert from 'assert/strict';
import { customDateProblem } from '../../src/extension/flows/createToken';
import { accountKeyProblem, hubUrlProblem } from '../../src/extension/flows/signIn';
import { generateToken } from '../../src/core/token';

const workspace = { id: 'ws_1', name: 'acme', policy: { defaultLifetimeDays: 30, maxLifetimeDays: 365, allowNoExpiry: false } };
const NOW = Date.parse('2026-11-22T10:00:00.000Z');

describe('prompt validation', () => {
  it('accepts http(s) hub addresses and explains what is wrong with others', () => {
    assert.equal(hubUrlProblem('http://127.0.0.1:8787'), undefined);
    assert.equal(hubUrlProblem('https://hub.example.com/'), undefined);
    assert.match(hubUrlProblem('127.0.0.1:8787') ?? '', /http:\/\/ or https:\/\//);
    assert.match(hubUrlProblem('hub') ?? '', /http:\/\/ or https:\/\//);
    assert.match(hubUrlProblem('http://') ?? '', /hub's address/);
    assert.match(hubUrlProblem('ftp://hub') ?? '', /http:\/\/ or https:\/\//);
    assert.match(hubUrlProblem('http://user:pw@hub') ?? '', /credentials/);
    assert.match(hubUrlProblem('http://hub/?x=1') ?? '', /base address/);
  });

  it('checks an account key\'s prefix and checksum before asking the hub', () => {
    const key = generateToken('thak_');
    assert.equal(accountKeyProblem(key), undefined);
    assert.equal(accountKeyProblem(` ${key} `), undefined);
    assert.match(accountKeyProblem('') ?? '', /Paste/);
    assert.match(accountKeyProblem(generateToken('thub_')) ?? '', /access token/);
    assert.match(accountKeyProblem('abc') ?? '', /starts with thak_/);
    const typo = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    assert.match(accountKeyProblem(typo) ?? '', /checksum/);
  });

  it('accepts custom expiry dates in the future and within the policy', () => {
    assert.equal(customDateProblem('2026-12-31', workspace, NOW), undefined);
    assert.equal(customDateProblem('2026-11-22', workspace, NOW), undefined, 'today works until the end of the day');
    assert.match(customDateProblem('2026-11-21', workspace, NOW) ?? '', /future/);
    assert.match(customDateProblem('2028-01-01', workspace, NOW) ?? '', /within 365 days/);
    assert.match(customDateProblem('31/12/2026', workspace, NOW) ?? '', /YYYY-MM-DD/);
    assert.equal(customDateProblem('2027-02-30', workspace, NOW), '2027-02-30 does not exist: February 2027 has 28 days.');
    assert.equal(customDateProblem('2028-02-30', workspace, NOW), '2028-02-30 does not exist: February 2028 has 29 days.');
    assert.match(customDateProblem('2026-13-01', workspace, NOW) ?? '', /not a date: the month must be 01 to 12/);
  });
});
