// Child process of envCrash.test.ts: rewrites one .env file over and over with writeFileAtomically (the editor's
// writer), alternating between two contents, until it is killed. Prints "writing" once the loop runs.
//   node envWriter.js <target> <contentA> <contentB>
import fs from 'fs';
import { writeFileAtomically } from '../../src/core/atomicWrite';

async function main(): Promise<void> {
  const [target, fileA, fileB] = process.argv.slice(2);
  const contents = [fs.readFileSync(fileA), fs.readFileSync(fileB)];
  process.stdout.write('writing\n');
  for (let i = 0; i < 1_000_000; i++) await writeFileAtomically(target, contents[i % 2]);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
