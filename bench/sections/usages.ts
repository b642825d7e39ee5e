// The usage index (src/core/usageIndex.ts, what the extension builds in the background after activation) on a
// generated workspace: its first build in files per second, beside a plain read of the same files (the same
// concurrency, the same run, warm page cache for both), and the cost of one edit afterwards (an editor's text, as
// typing gives it, and a file changed on disk, as a file event gives it).
import fs from 'fs';
import path from 'path';
import { ACCESS_TOKEN_PREFIX, generateToken } from '../../src/core/token';
import { UsageIndex } from '../../src/core/usageIndex';
import { load1, median, mkTemp, progress, round, timeReps } from '../lib/common';

export interface UsagesResult {
  files: number;
  bytes: number;
  /** Files holding a token, and places found. */
  filesWithTokens: number;
  usages: number;
  buildMs: number;
  filesPerSecond: number;
  /** The same files read (fs.promises.readFile, same concurrency), nothing else. */
  plainReadMs: number;
  plainFilesPerSecond: number;
  /** build ÷ plain read. */
  ratio: number;
  /** One edit of an open 2 KB file holding a token (updateText), and of the same file on disk (updateFile). */
  editTextMs: number;
  editFileMs: number;
  /** One edit of an open 1 MB file holding a token. */
  editLargeTextMs: number;
  load: number;
}

const CONCURRENCY = 16;

/** Source-like text of about `bytes` characters, with `thub_` mentioned (as docs and code do) but no token. */
function filler(i: number, bytes: number): string {
  const lines: string[] = [`// file ${i}: generated for the usage index benchmark; thub_ is only a prefix here`];
  let length = lines[0].length;
  for (let n = 0; length < bytes; n++) {
    const line = `export const value${n} = compute(${i}, ${n}, "some text that looks like code");`;
    lines.push(line);
    length += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function generate(root: string, count: number): { files: string[]; bytes: number; tokenFile: string } {
  const files: string[] = [];
  let bytes = 0;
  const text = filler(0, 1500);
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    let file: string;
    let body: string;
    if (i % 500 === 0) {
      file = path.join(dir, '.env');
      body = `# service ${i}\nAPI_URL=https://api.example.test\nTOKEN=${generateToken(ACCESS_TOKEN_PREFIX)}\n`;
    } else if (i % 100 === 1) {
      file = path.join(dir, `config${i}.ts`);
      body = `${text}export const key = "${generateToken(ACCESS_TOKEN_PREFIX)}";\n`;
    } else {
      file = path.join(dir, `file${i}.ts`);
      body = text;
    }
    fs.writeFileSync(file, body);
    files.push(file);
    bytes += body.length;
  }
  return { files, bytes, tokenFile: files[1] };
}

async function plainRead(files: readonly string[]): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < files.length) bytes += (await fs.promises.readFile(files[next++])).length;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return bytes;
}

export async function benchUsages(count: number, rounds: number): Promise<UsagesResult> {
  const root = mkTemp('tokenhub-bench-usages-');
  try {
    progress(`usages: generating ${count.toLocaleString('en')} files`);
    const { files, bytes, tokenFile } = generate(root, count);
    await plainRead(files); // warm the page cache for both measures
    const builds: number[] = [];
    const reads: number[] = [];
    let index = new UsageIndex();
    let found = { filesWithTokens: 0, usages: 0 };
    for (let r = 0; r < rounds; r++) {
      progress(`usages: round ${r + 1} of ${rounds}`);
      let started = performance.now();
      await plainRead(files);
      reads.push(performance.now() - started);
      index = new UsageIndex();
      started = performance.now();
      const result = await index.build(files, { concurrency: CONCURRENCY });
      builds.push(performance.now() - started);
      found = { filesWithTokens: result.filesWithTokens, usages: result.usages };
    }
    const text = fs.readFileSync(tokenFile, 'utf8');
    const edited = text.replace('compute(', 'compute2(');
    let flip = false;
    const editText = await timeReps(200, () => {
      flip = !flip;
      index.updateText(tokenFile, flip ? edited : text);
    }, 20);
    const editFile = await timeReps(200, () => index.updateFile(tokenFile), 20);
    const large = `${filler(1, 1024 * 1024)}const key = "${generateToken(ACCESS_TOKEN_PREFIX)}";\n`;
    const largeFile = path.join(root, 'large.ts');
    const editLarge = await timeReps(20, () => {
      flip = !flip;
      index.updateText(largeFile, flip ? large : `${large}\n`);
    }, 3);
    const buildMs = median(builds);
    const plainReadMs = median(reads);
    return {
      files: files.length,
      bytes,
      ...found,
      buildMs: round(buildMs, 1),
      filesPerSecond: Math.round(files.length / (buildMs / 1000)),
      plainReadMs: round(plainReadMs, 1),
      plainFilesPerSecond: Math.round(files.length / (plainReadMs / 1000)),
      ratio: round(buildMs / plainReadMs, 2),
      editTextMs: round(median(editText), 3),
      editFileMs: round(median(editFile), 3),
      editLargeTextMs: round(median(editLarge), 2),
      load: load1(),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
