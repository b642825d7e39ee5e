// What a suite driving flows with a ScriptedPrompter does after each test: show the prompts of a failed one, check a
// passed one used every scripted answer, and keep nothing open (unsaved edits of a file holding a token reverted, so
// it never reaches VS Code's local history; editors closed).
import * as assert from 'assert/strict';
import * as vscode from 'vscode';
import type { ScriptedPrompter } from '../../../support/scriptedPrompter';

export async function afterPromptedTest(test: Mocha.Test | undefined, prompter: ScriptedPrompter, root: string): Promise<void> {
  if (test?.state === 'failed') {
    console.log(`    messages shown: ${JSON.stringify(prompter.messages.map((m) => `${m.options.id}: ${m.text}`))}`);
    console.log(`    answers refused: ${JSON.stringify(prompter.rejected)}`);
  }
  if (test?.state === 'passed') assert.deepEqual(prompter.pending(), [], 'every scripted answer was used');
  for (const document of vscode.workspace.textDocuments) {
    if (!document.isDirty || !document.uri.fsPath.startsWith(root)) continue;
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
