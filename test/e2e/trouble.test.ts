// Journey 5, trouble: the hub goes away while VS Code is open. After Refresh the tree says it cannot reach the hub,
// with Retry; once the hub is back (same port, same data), Retry brings the tokens back.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HubClient } from '../../src/api/client';
import { HubProcess, startHub } from '../support/hub';
import { Session, escapeRegExp, recordFailure, waitForText, waitGone, waitVisible } from './driver';

const TOKENS = ['billing-service', 'reporting-job'];

describe('e2e 5: the hub goes away and comes back', function () {
  this.timeout(180_000);
  this.bail(true);
  let hub: HubProcess;
  let dataDir: string;
  let session: Session;

  before(async () => {
    // Our own data folder, so that the hub can be stopped and started again on the same database and port.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-e2e-hub-'));
    hub = await startHub({ dataDir });
    const { accountKey } = await hub.init('acme', ['chat-completions=Chat completions', 'embeddings=Embeddings']);
    // Two tokens made elsewhere (by a teammate, say): their secrets are not on this machine.
    const admin = new HubClient({ baseUrl: hub.url, accountKey });
    for (const name of TOKENS) await admin.createToken({ name, endpoints: ['chat-completions'] });
    session = await Session.start({ name: '5-hub-down', env: { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: accountKey } });
    await session.openTokenHub();
    await session.resizeSidebar(560);
  });

  afterEach(async function () {
    await recordFailure(session, this.currentTest);
  });

  after(async () => {
    await session?.close();
    await hub?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the tokens while the hub runs', async () => {
    for (const name of TOKENS) await session.waitForTreeRow(name);
    await waitVisible(session.treeRows(/^acme/), 'the workspace row');
  });

  it('says it cannot reach the hub after Refresh, with a Retry action', async () => {
    await hub.stop();
    await session.clickViewAction('Refresh');
    // A short row that says what to do; the whole sentence is its accessible label (and tooltip).
    const row = await session.waitForTreeRow(/Cannot reach the hub\.\s*Retry/);
    assert.match(await row.getAttribute('aria-label') ?? '', new RegExp(`Cannot reach the hub at ${escapeRegExp(hub.url)} \\(connection refused\\)\\.`));
    for (const name of TOKENS) await waitGone(session.treeRows(name), `the row "${name}"`);
    // The row's inline action, shown while the pointer is over it.
    await row.hover();
    await waitVisible(row.locator('a.action-label[aria-label="Retry"]'), 'the Retry action on the row');
    await session.screenshot('hub-unreachable');
  });

  it('recovers the rows with Retry once the hub is back on the same port and data', async () => {
    hub = await startHub({ dataDir, db: hub.db, args: ['--port', String(hub.port)] });
    const row = await session.waitForTreeRow(/Cannot reach the hub/);
    await row.hover();
    await row.locator('a.action-label[aria-label="Retry"]').click();
    for (const name of TOKENS) await session.waitForTreeRow(name);
    await waitGone(session.treeRows(/Cannot reach the hub/), 'the error row');
    const descriptions = await session.treeRows(TOKENS[0]).locator('.label-description').allInnerTexts();
    assert.match(descriptions.join(' '), /^never used$/);
    await waitForText(session.treeRows(/^acme/), /acme/);
    await session.screenshot('recovered');
  });

  it('connects on its own in another browser too (its secret storage has no account key yet)', async () => {
    await session.openInAnotherBrowser();
    await session.openTokenHub();
    for (const name of TOKENS) await session.waitForTreeRow(name);
    assert.equal(await session.treeRows(/Signed out/).count(), 0, 'not signed out');
  });
});
