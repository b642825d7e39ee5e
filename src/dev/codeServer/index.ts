// The code-server host: a real VS Code (1.100.3, served by code-server 4.100.3) that runs offline, used by
// `npm start`, by the extension-host tests (test/vscode) and by the end-to-end tests (test/e2e).
//
// - ensureCodeServer() installs code-server into .vscode-test/code-server (git-ignored) without code-server's own
//   postinstall (which downloads ripgrep from GitHub), doing by hand what that postinstall does.
// - startCodeServer() runs it on a free loopback port with its own user-data and extensions folders.
// - workbenchUrl() / openWorkbench() open the workbench in Debian's Chromium through playwright-core, optionally as an
//   extension development host (the repository's extension loaded from source) with extension tests.
//
// One module per responsibility: paths.ts, install.ts (with lock.ts), launch.ts, processTree.ts, workbench.ts.
export * from './paths';
export { ensureCodeServer, verifyCodeServer, type EnsureOptions } from './install';
export * from './launch';
export { killTree } from './processTree';
export * from './workbench';
