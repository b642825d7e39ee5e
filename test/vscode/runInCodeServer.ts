// `npm run test:vscode [-- --grep <regexp>] [-- --files <name,…>] [-- --restricted]`: runs test/vscode/suite inside a
// real VS Code (code-server 4.100.3 = VS Code 1.100.3) opened in headless Chromium, offline; then, in a second short
// launch with Workspace Trust on and the folder untrusted, test/vscode/suite/restricted/ (Restricted Mode). Builds nothing (npm test's pretest
// did); installs code-server into .vscode-test/ if it is not there yet (about a minute, once).
//
// Prints each result as mocha's spec would, then "N passed, N failed". Exits non-zero on a failure, when no test
// ran, or when the extension host never started. Leaves test-results/vscode/: report.json, browser-console.log,
// code-server.log, final.png.
import * as fs from 'fs';
import * as path from 'path';
import { findSecretsInBrowserStorage, findSecretsUnder, type SecretSighting } from '../support/secretHygiene';
import { ensureCodeServer, openWorkbench, startCodeServer, type CodeServerInstall, type OpenedWorkbench, type RunningCodeServer } from '../../src/dev/codeServer';
import { eventsPath } from './protocol';
import { EventStream, REPO, RESULTS_DIR, SUITE_INDEX, checkBuilt, finish, launchesFor, makeWorkspace, parseArgs, prepareResults, publishResults, readReport, suiteEnv, type DriverArgs } from './common';

const START_TIMEOUT_MS = Number(process.env.TOKENHUB_VSCODE_START_TIMEOUT_MS ?? 120_000);
const TOTAL_TIMEOUT_MS = Number(process.env.TOKENHUB_VSCODE_TIMEOUT_MS ?? 20 * 60_000);
const DIALOG_REFUSED = /refused to show (confirmation )?dialog in tests/;
/** How often the browser's storage is searched while tests run: a secret there may be gone again by the end. */
const BROWSER_SCAN_INTERVAL_MS = 3000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const launches = launchesFor(parseArgs(process.argv.slice(2)));
  checkBuilt();
  const installStarted = Date.now();
  const install = ensureCodeServer();
  if (Date.now() - installStarted > 2000) console.log(`(code-server installed in ${((Date.now() - installStarted) / 1000).toFixed(1)} s)`);
  let code = 0;
  for (const args of launches) {
    if (args.restricted) console.log('\nRestricted Mode: Workspace Trust on, the folder not trusted (test/vscode/suite/restricted/)');
    code = Math.max(code, await launch(args, install));
  }
  return code;
}

/** One code-server + Chromium running the suite; its exit code. */
async function launch(args: DriverArgs, install: CodeServerInstall): Promise<number> {
  const resultsDir = args.restricted ? `${RESULTS_DIR}-restricted` : RESULTS_DIR;
  const { runDir, reportPath } = prepareResults();
  const consoleLog = path.join(runDir, 'browser-console.log');
  const serverLog = path.join(runDir, 'code-server.log');
  const screenshot = path.join(runDir, 'final.png');
  const shown = (file: string) => path.relative(REPO, path.join(resultsDir, path.basename(file)));

  const workspace = makeWorkspace();
  let server: RunningCodeServer | undefined;
  let workbench: OpenedWorkbench | undefined;
  let problem: string | undefined;
  const consoleTail: string[] = [];
  let refusedDialogs = 0;

  const cleanup = async () => {
    await workbench?.close();
    await server?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`\n${sig}: stopping code-server and Chromium`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = Date.now();
  try {
    // VS Code in a browser saves after a second's delay by default (the desktop's default is off): a test that types
    // and then looks would race that save, whose scan or write it did not ask for. Tests save when they mean to.
    server = await startCodeServer({
      folder: workspace,
      env: suiteEnv(args, reportPath),
      logFile: serverLog,
      install,
      restricted: args.restricted,
      settings: { 'files.autoSave': 'off' },
    });
    let serverExited: string | undefined;
    server.process.once('exit', (code, sig) => (serverExited = `code-server exited (${code ?? sig})`));

    workbench = await openWorkbench(server, {
      extensionDevelopmentPath: REPO,
      extensionTestsPath: SUITE_INDEX,
      consoleLogFile: consoleLog,
      onConsole: (line) => {
        consoleTail.push(line);
        if (consoleTail.length > 30) consoleTail.shift();
        if (DIALOG_REFUSED.test(line)) refusedDialogs++;
      },
    });
    const opened = Date.now();

    const stream = new EventStream(eventsPath(reportPath));
    // VS Code in the browser keeps its state in IndexedDB: searched while the tests run, not only at the end, since
    // what a test puts there (an injected secret VS Code would persist, say) is cleaned up by the test's own end.
    const inBrowser = new Map<string, SecretSighting>();
    let browserScan: Promise<void> | undefined;
    let lastBrowserScan = 0;
    const scanBrowser = (page: OpenedWorkbench['page']) =>
      findSecretsInBrowserStorage(page).then(
        (found) => found.forEach((sighting) => inBrowser.set(`${sighting.file}\n${sighting.maskedKey}`, sighting)),
        () => undefined, // the page may be busy or closing; the next scan tries again
      );
    for (;;) {
      stream.poll();
      if (!browserScan && Date.now() - lastBrowserScan > BROWSER_SCAN_INTERVAL_MS) {
        lastBrowserScan = Date.now();
        browserScan = scanBrowser(workbench.page).finally(() => (browserScan = undefined));
      }
      if (stream.ended && readReport(reportPath)) break;
      if (serverExited) {
        problem = `${serverExited} while tests ran; see ${shown(serverLog)}`;
        break;
      }
      if (!stream.started && stream.count === 0 && Date.now() - opened > START_TIMEOUT_MS) {
        problem =
          `the extension host never started the tests within ${START_TIMEOUT_MS / 1000} s ` +
          `(TOKENHUB_VSCODE_START_TIMEOUT_MS); see ${shown(consoleLog)} and ${shown(serverLog)}.` +
          `\nlast browser console lines:\n  ${consoleTail.join('\n  ') || '(none)'}`;
        break;
      }
      if (Date.now() - started > TOTAL_TIMEOUT_MS) {
        problem = `the tests did not finish within ${TOTAL_TIMEOUT_MS / 1000} s (TOKENHUB_VSCODE_TIMEOUT_MS)`;
        break;
      }
      await sleep(200);
    }
    stream.poll();
    await browserScan;
    await scanBrowser(workbench.page);
    if (!problem && server) {
      // Secrets belong in SecretStorage only: none may reach code-server's settings, state databases or logs, nor the
      // browser's storage.
      const sightings = [...findSecretsUnder(path.dirname(server.userDataDir)), ...inBrowser.values()];
      if (sightings.length > 0) {
        problem = `Token Hub secrets were found outside SecretStorage:\n  ${sightings.map((s) => `${s.file}: ${s.maskedKey}`).join('\n  ')}`;
      } else {
        console.log(`\n(secret hygiene: no Token Hub secret in code-server's user data, state or logs under ${path.dirname(server.userDataDir)}, nor in the browser's storage)`);
      }
    }
    // The workbench may have closed its window at the end of the tests: the picture is best effort.
    await workbench.page.screenshot({ path: screenshot }).catch(() => undefined);
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
    if (workbench) await workbench.page.screenshot({ path: screenshot }).catch(() => undefined);
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  if (refusedDialogs > 0) {
    console.log(
      `\nnote: VS Code refused ${refusedDialogs} modal dialog(s): it does while extension tests run. ` +
        'Answer them with answerModalDialogs() from test/vscode/suite/helpers/dialogs.',
    );
  }
  const report = readReport(reportPath);
  const results = publishResults(runDir, resultsDir);
  console.log(`\n(code-server + Chromium: ${((Date.now() - started) / 1000).toFixed(1)} s; report, logs and screenshot in ${path.relative(REPO, results)}/)`);
  return finish(report, problem);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.log('0 passed, 0 failed');
    process.exit(1);
  },
);
