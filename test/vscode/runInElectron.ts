// `npm run test:electron [-- --grep <regexp>] [-- --files <name,…>]`: the same suite (test/vscode/suite) in desktop
// VS Code through @vscode/test-electron, for machines that can download VS Code (it downloads it into .vscode-test/).
// Not part of `npm test`: this project's machines cannot download VS Code; `npm run test:vscode` runs the same suite
// in code-server instead. On Linux without a display, run it under xvfb-run.
import * as fs from 'fs';
import { runTests } from '@vscode/test-electron';
import { REPO, SUITE_INDEX, checkBuilt, finish, makeWorkspace, parseArgs, prepareResults, publishResults, readReport, suiteEnv } from './common';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  checkBuilt();
  const { runDir, reportPath } = prepareResults();
  const workspace = makeWorkspace();
  let problem: string | undefined;
  try {
    // The suite prints each result to the extension host's console, which test-electron shows here.
    await runTests({
      version: process.env.TOKENHUB_VSCODE_VERSION ?? '1.100.3',
      extensionDevelopmentPath: REPO,
      extensionTestsPath: SUITE_INDEX,
      extensionTestsEnv: suiteEnv(args, reportPath),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (error) {
    // runTests rejects when the suite's run() rejects (a failing test) or VS Code could not start: the report tells.
    if (!readReport(reportPath)) problem = `VS Code did not run the suite: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  const report = readReport(reportPath);
  publishResults(runDir);
  return finish(report, problem, false); // the suite's console output had the closing block
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
