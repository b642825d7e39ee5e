// Changing a user setting in a test. VS Code writes settings.json and also watches it, so one update can be
// followed by late reloads of the file (seen in CI after a suite that changed several settings); a test that acts
// on the new value waits until the value is there and the settings have been quiet for a while.
import * as vscode from 'vscode';
import { sleep, waitFor } from './wait';

const QUIET_MS = 400;

export async function setUserSetting(key: string, value: unknown, section = 'tokenHub', target = vscode.ConfigurationTarget.Global): Promise<void> {
  let lastChange = Date.now();
  const watching = vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(section)) lastChange = Date.now();
  });
  try {
    await vscode.workspace.getConfiguration(section).update(key, value, target);
    const scope = target === vscode.ConfigurationTarget.Global ? 'globalValue' : 'workspaceValue';
    const applied = () => JSON.stringify(vscode.workspace.getConfiguration(section).inspect(key)?.[scope]) === JSON.stringify(value);
    await waitFor(applied, (ok) => ok, `${section}.${key} to be ${JSON.stringify(value)}`);
    await waitFor(
      async () => {
        await sleep(50);
        return Date.now() - lastChange >= QUIET_MS && applied();
      },
      (quiet) => quiet,
      `the settings to stay quiet with ${section}.${key} = ${JSON.stringify(value)}`,
    );
  } finally {
    watching.dispose();
  }
}
