// `npm run screenshots`: the README's pictures (media/screenshots/), made by driving the real UI as the e2e tests do,
// at VS Code's default sidebar width: each state of the view (an empty workspace, tokens, an expired one, a hub that
// cannot be reached) and the Create journey (endpoints step, the secret shown once, the .env written). Run it after
// a change to what the view shows; it starts its own hubs and code-server and stops them.
import * as fs from 'fs';
import * as path from 'path';
import { HubClient } from '../../src/api/client';
import { HubProcess, startHub } from '../support/hub';
import { REPO, Session, waitForText, waitVisible } from './driver';

const OUT = path.join(REPO, 'media', 'screenshots');
const DAY = 86_400_000;
const ENDPOINTS = ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation=Moderation'];

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const hubs: HubProcess[] = [];
  let session: Session | undefined;
  try {
    const hub = await startHub();
    hubs.push(hub);
    const { accountKey } = await hub.init('acme', ENDPOINTS);
    const admin = new HubClient({ baseUrl: hub.url, accountKey });
    session = await Session.start({ name: 'screenshots', env: { TOKENHUB_URL: hub.url, TOKENHUB_ACCOUNT_KEY: accountKey } });
    await session.openTokenHub();
    const view = async (name: string) => {
      // The activity bar and the side bar at their default width, the part of the window the pictures are about.
      const box = (await session!.sidebar.boundingBox())!;
      const file = path.join(OUT, `${name}.png`);
      await session!.page.screenshot({ path: file, clip: { x: 0, y: 0, width: Math.ceil(box.x + box.width), height: 420 } });
      console.log(`  ${path.relative(REPO, file)} (side bar ${Math.round(box.width)} px wide)`);
    };
    const whole = async (name: string) => {
      const file = path.join(OUT, `${name}.png`);
      await session!.page.screenshot({ path: file });
      console.log(`  ${path.relative(REPO, file)}`);
    };

    // 1. Signed in, no tokens yet.
    await session.waitForTreeRow(/No tokens yet/);
    await view('empty-workspace');

    // 2. Tokens in every state: made through the API (a teammate's), one used, one expiring, one expired. The last two
    // come from a hub on the same database whose clock is behind, so they are old enough to be flagged.
    const used = await admin.createToken({ name: 'billing-service', endpoints: ['chat-completions', 'embeddings'] });
    await admin.createToken({ name: 'reporting-job', endpoints: ['embeddings'] });
    const behind = await startHub({ db: hub.db, env: { TOKENHUB_TEST_CLOCK_OFFSET_MS: String(-40 * DAY) } });
    hubs.push(behind);
    const old = new HubClient({ baseUrl: behind.url, accountKey });
    await old.createToken({ name: 'nightly-export', endpoints: ['chat-completions'], expiresAt: new Date(Date.now() - 40 * DAY + 42 * DAY).toISOString() });
    await old.createToken({ name: 'old-prototype', endpoints: ['moderation'], expiresAt: new Date(Date.now() - 40 * DAY + 30 * DAY).toISOString() });
    await new HubClient({ baseUrl: hub.url }).invoke('chat-completions', used.secret);
    await session.clickViewAction('Refresh');
    await waitForText(session.treeRows('billing-service').locator('.label-description'), /used/);
    await session.waitForTreeRow('old-prototype');
    await view('tokens');

    // 3. Show Usage of the used token: 30 days of calls, as the hub would have counted them (written into its
    // database: a hub counts today's calls only), today's from real calls with a client's User-Agent.
    seedUsageHistory(hub.db, used.token.id);
    for (let i = 0; i < 12; i++) {
      await fetch(`${hub.url}/v1/endpoints/${i % 4 ? 'chat-completions' : 'embeddings'}/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${used.secret}`, 'user-agent': 'python-requests/2.32' },
      });
    }
    await session.clickViewAction('Refresh');
    await session.runCommand('Token Hub: Show Usage');
    await session.quickInput.choose(/^billing-service/);
    await waitVisible(session.page.locator('iframe.webview.ready'), 'the usage view');
    await session.runCommand('Notifications: Clear All Notifications'); // the picture is about the view
    await session.page.waitForTimeout(1500); // the webview's own frame paints after it is marked ready
    await whole('usage');
    await session.runCommand('View: Close All Editors');

    // 4. Create: the endpoints step, the secret shown once, copied, then Insert into .env.
    await session.runCommand('Token Hub: Create Access Token');
    await session.quickInput.waitForTitle(/\(1\/4\)$/);
    await session.quickInput.type('chat-app');
    await session.quickInput.press('Enter');
    await session.quickInput.waitForTitle(/\(2\/4\)$/);
    await session.quickInput.check('chat-completions');
    await session.quickInput.check('embeddings');
    await whole('create-quick-pick');
    await session.quickInput.press('Enter');
    await session.quickInput.choose(/^30 days/);
    await session.quickInput.waitForTitle(/\(4\/4\)$/);
    await (await session.quickInput.waitForRow('Create token')).click();
    await session.dialog.waitFor(/^Token "chat-app" is ready/);
    await whole('show-once-dialog');
    await session.dialog.click('Copy');
    await (await session.waitForNotification(/Copied the secret of "chat-app"/)).getByRole('button', { name: 'Insert into .env' }).click();
    await session.quickInput.waitForTitle(/\(1\/2\)$/);
    await session.quickInput.press('Enter');
    await session.quickInput.waitForTitle(/\(2\/2\)$/);
    await session.quickInput.press('Enter');
    await session.waitForNotification(/Wrote "chat-app" to \.env/);
    await session.openFromExplorer('.env');
    await waitVisible(session.treeRows('chat-app'), 'the new row');
    await whole('env-in-editor');

    // 5. The hub goes away.
    for (const running of hubs.splice(0)) await running.stop();
    await session.clickViewAction('Refresh');
    await session.waitForTreeRow(/Cannot reach the hub/);
    await view('hub-unreachable');
  } finally {
    await session?.close();
    for (const running of hubs) await running.stop();
  }
}

/** A month of calls per endpoint, busier on weekdays, a few refused: what a month of a real client looks like. */
function seedUsageHistory(db: string, tokenId: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const sqlite = new Database(db);
  try {
    sqlite.pragma('busy_timeout = 5000');
    const today = Math.floor(Date.now() / DAY);
    const insert = sqlite.prepare('INSERT INTO token_usage (token_id, day, endpoint_id, accepted, refused) VALUES (?, ?, ?, ?, ?)');
    for (let ago = 29; ago >= 1; ago--) {
      const day = today - ago;
      const weekday = new Date(day * DAY).getUTCDay() % 6 !== 0;
      const wave = Math.round(30 * Math.sin(ago / 3) + (weekday ? 70 : 15));
      insert.run(tokenId, day, 'chat-completions', Math.max(0, wave + (ago % 5) * 4), ago % 9 === 0 ? 3 : 0);
      insert.run(tokenId, day, 'embeddings', Math.max(0, Math.round(wave / 3) + (ago % 4)), 0);
    }
  } finally {
    sqlite.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    process.exit(1);
  },
);
