// Where code-server lives: the repository root, the install folder and the files of an install, and the versions.
import * as fs from 'fs';
import * as path from 'path';

export const CODE_SERVER_VERSION = '4.100.3';
/** The VS Code version that code-server 4.100.3 serves. Later code-server versions need Node 22. */
export const VSCODE_VERSION = '1.100.3';


/** The repository root: the nearest folder above this file whose package.json is the token-hub one. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'token-hub') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the token-hub repository above ${__dirname}`);
    dir = parent;
  }
}

export interface CodeServerInstall {
  /** The folder where `npm install code-server` ran (.vscode-test/code-server). */
  installDir: string;
  /** node_modules/code-server inside it. */
  packageDir: string;
  /** The script to run with Node (code-server's `bin`). */
  entry: string;
  version: string;
}

export function installPaths(installDir: string): CodeServerInstall {
  const packageDir = path.join(installDir, 'node_modules', 'code-server');
  return { installDir, packageDir, entry: path.join(packageDir, 'out', 'node', 'entry.js'), version: CODE_SERVER_VERSION };
}

export function defaultInstallDir(): string {
  return path.join(repoRoot(), '.vscode-test', 'code-server');
}
