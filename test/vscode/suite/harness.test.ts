// The test host itself: the workspace the driver made, the environment it forwards, and modal dialogs.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { REPORT_ENV } from '../protocol';
import { answerModalDialogs } from './helpers/dialogs';

describe('Test host', () => {
  it('opens a workspace folder with a .env file', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, '.env'));
    assert.strictEqual(stat.type, vscode.FileType.File);
  });

  it('forwards TOKENHUB_* variables to the extension host', () => {
    assert.ok(process.env[REPORT_ENV], `${REPORT_ENV} is not set in the extension host`);
  });

  it('refuses modal dialogs while tests run', async () => {
    await assert.rejects(
      Promise.resolve(vscode.window.showWarningMessage('Delete it?', { modal: true }, 'Delete')),
      /refused to show dialog in tests/,
    );
  });

  it('answerModalDialogs() answers them, and leaves other messages alone', async () => {
    const stub = answerModalDialogs('Delete', undefined);
    try {
      const first = await vscode.window.showWarningMessage('Delete it?', { modal: true, detail: 'for good' }, 'Delete');
      const second = await vscode.window.showInformationMessage('Sure?', { modal: true }, { title: 'Yes' });
      assert.strictEqual(first, 'Delete');
      assert.strictEqual(second, undefined);
      assert.deepStrictEqual(
        stub.calls.map((c) => [c.kind, c.message, c.detail, c.items, c.answer]),
        [
          ['showWarningMessage', 'Delete it?', 'for good', ['Delete'], 'Delete'],
          ['showInformationMessage', 'Sure?', undefined, ['Yes'], undefined],
        ],
      );
    } finally {
      stub.restore();
    }
    await assert.rejects(
      Promise.resolve(vscode.window.showWarningMessage('Delete it?', { modal: true }, 'Delete')),
      /refused to show dialog in tests/,
      'restore() puts the real function back',
    );
  });
});
