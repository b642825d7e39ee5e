// Journey 1, first run: a person opens VS Code with the extension for the first time (fresh user data, no
// TOKENHUB_* environment), finds Token Hub in the activity bar, signs in through the input boxes and sees the
// empty workspace's welcome.
import * as assert from 'assert/strict';
import { HubProcess, startHub } from '../support/hub';
import { Session, recordFailure, waitForText, waitUntil, waitVisible } from './driver';

describe('e2e 1: first run', function () {
  this.timeout(180_000);
  let hub: HubProcess;
  let accountKey: string;
  let session: Session;

  before(async () => {
    hub = await startHub();
    ({ accountKey } = await hub.init('acme', ['chat-completions=Chat completions', 'embeddings=Embeddings', 'moderation=Moderation']));
    session = await Session.start({ name: '1-first-run' });
  });

  afterEach(async function () {
    await recordFailure(session, this.currentTest);
  });

  after(async () => {
    await session?.close();
    await hub?.stop();
  });

  it('shows Token Hub in the activity bar and, signed out, a welcome with Sign In', async () => {
    await session.openTokenHub();
    await waitForText(session.welcome, /Connect to a Token Hub to see and manage your access tokens\./, 'the signed-out welcome');
    const signIn = await waitVisible(session.welcome.getByRole('button', { name: 'Sign In' }), 'the Sign In button');
    assert.match(await session.welcome.first().innerText(), /Your account key is kept in VS Code's secret storage/);
    assert.equal(await session.treeRows().count(), 0, 'no tree rows while signed out');
    await session.screenshot('signed-out-welcome');
    await signIn.click();
  });

  it('signs in through the URL and account key input boxes, refusing what is not usable', async () => {
    const { quickInput } = session;
    await quickInput.waitForTitle(/^Sign in to a Token Hub \(1\/2\)$/);
    assert.equal(await quickInput.value(), 'http://127.0.0.1:8787', 'the URL box offers the default address');
    await quickInput.type('127.0.0.1:8787');
    await quickInput.waitForMessage(/Start the address with http:\/\/ or https:\/\//);
    await quickInput.type(hub.url);
    await quickInput.waitForMessage(/The address of the hub\. It is saved in your user settings/);
    await session.screenshot('sign-in-url');
    await quickInput.press('Enter');

    await quickInput.waitForTitle(/^Sign in to a Token Hub \(2\/2\)$/);
    assert.equal(await quickInput.input.getAttribute('type'), 'password', 'the account key is typed into a password box');
    await quickInput.type('thub_not-an-account-key');
    await quickInput.waitForMessage(/That is an access token \(thub_…\)\. Sign-in needs the workspace's account key/);
    await quickInput.type(accountKey);
    await session.screenshot('sign-in-account-key');
    await quickInput.press('Enter');
    await quickInput.waitClosed();
    await session.waitForNotification(`Signed in to "acme" at ${hub.url}.`);
  });

  it('shows the empty workspace under its root, with Create', async () => {
    // The root names the workspace and the hub even without tokens; the row under it creates one.
    await waitVisible(session.treeRows(/^acme/), 'the workspace row');
    await session.waitForTreeRow(/No tokens yet\.\s*Create one/);
    await waitUntil('the signed-out welcome to be gone', async () => (await session.welcome.count()) === 0 || !/Sign In/.test(await session.welcome.first().innerText()));
    // Signed in, the view's title offers Create (+) and Filter as well.
    await session.sidebar.hover();
    await waitVisible(session.viewAction('Create Access Token'), 'the Create Access Token action in the view title');
    await waitVisible(session.viewAction('Filter Tokens by Name'), 'the Filter action in the view title');
    await session.screenshot('empty-welcome');
  });
});
