// Loaded by mocha before every suite (.mocharc.json): the seed of every fast-check property in the run. It comes from
// the commit being tested, so a run of a commit repeats the inputs of any other run of that commit (a green run
// before landing is the run CI makes) while each new commit explores new ones. FC_SEED=<n> repeats a printed seed;
// outside a git checkout the seed is random.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import fc from 'fast-check';

function commitSeed(): { seed: number; from: string } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { seed: createHash('sha256').update(commit).digest().readInt32LE(0), from: `commit ${commit.slice(0, 12)}` };
  } catch {
    return undefined;
  }
}

const given = process.env.FC_SEED;
const chosen =
  given !== undefined && /^-?\d+$/.test(given)
    ? { seed: Number(given), from: 'FC_SEED' }
    : (commitSeed() ?? { seed: (Math.random() * 2 ** 31) | 0, from: 'random, not in a git checkout' });
fc.configureGlobal({ seed: chosen.seed });
console.log(`fast-check seed ${chosen.seed} (${chosen.from}); FC_SEED=${chosen.seed} repeats it`);
