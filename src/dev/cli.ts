// Developer tools (bundled to dist/dev.js): `node dist/dev.js <command>`.
//   start                 the demo: a hub with a demo workspace, and VS Code with the extension connected to it
//   upstream [--port N]   the demo endpoints' upstream service (src/dev/upstream.ts)
//   install-code-server   install code-server (VS Code 1.100.3) into .vscode-test/code-server; fast when installed
//   code-server [folder]  run that code-server on a free loopback port with the extension loaded from this repository
//   user-readme [out]     write the Marketplace README (the marked parts of README.md) to dist/README.md
//   l10n-export           write l10n/bundle.l10n.json from the extension's l10n.t calls
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CODE_SERVER_VERSION, VSCODE_VERSION, ensureCodeServer, repoRoot, startCodeServer, workbenchUrl } from './codeServer';
import { StartError, runStart } from './start';
import { exportL10nBundle, L10N_BUNDLE } from './l10nExport';
import { runUpstream } from './upstream';
import { writeUserReadme } from './userReadme';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { summary: string; run: Command }> = {
  start: {
    summary: 'run the product: a hub (demo workspace, .tokenhub/) and VS Code with the extension connected to it',
    run: async (args) => {
      try {
        return await runStart(args);
      } catch (error) {
        if (!(error instanceof StartError)) throw error;
        console.error(`npm start: ${error.message}`);
        return 1;
      }
    },
  },
  upstream: {
    summary: "the demo endpoints' upstream service (what the gateway forwards to): node dist/dev.js upstream [--port N]",
    run: runUpstream,
  },
  'install-code-server': {
    summary: `install code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) into .vscode-test/code-server`,
    run: async (args) => {
      const started = Date.now();
      const install = ensureCodeServer({ force: args.includes('--force') });
      console.log(`code-server ${install.version} ready in ${install.installDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return 0;
    },
  },
  'user-readme': {
    summary: 'write the Marketplace README (the parts of README.md marked for it) to dist/README.md',
    run: async (args) => {
      console.log(`wrote ${path.relative(process.cwd(), writeUserReadme(repoRoot(), args[0] && path.resolve(args[0])))}`);
      return 0;
    },
  },
  'l10n-export': {
    summary: 'write l10n/bundle.l10n.json from the extension\'s l10n.t calls (what @vscode/l10n-dev export does)',
    run: async () => {
      fs.writeFileSync(path.join(repoRoot(), L10N_BUNDLE), exportL10nBundle(repoRoot()));
      console.log(`wrote ${L10N_BUNDLE}`);
      return 0;
    },
  },
  'code-server': {
    summary: 'run code-server on a free port with the extension loaded from this repository (Ctrl+C stops it)',
    run: async (args) => {
      const ownFolder = !args[0];
      const folder = args[0] ? path.resolve(args[0]) : fs.mkdtempSync(path.join(os.tmpdir(), 'tokenhub-workspace-'));
      const server = await startCodeServer({ folder });
      const url = workbenchUrl(server, { extensionDevelopmentPath: repoRoot() });
      console.log(`code-server is serving ${folder}\n  ${url}\nlog: ${server.logFile}\nCtrl+C stops it.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        server.process.once('exit', () => resolve());
      });
      await server.stop();
      if (ownFolder) fs.rmSync(folder, { recursive: true, force: true });
      return 0;
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return ['usage: node dist/dev.js <command>', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command: ${name}\n${usage()}`);
    return 1;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
