// The Marketplace page: the parts of the repository's README.md that a person installing the extension needs,
// marked there with <!-- marketplace --> … <!-- /marketplace -->, so each text stands once and the VSIX's README
// never opens with developer commands. `npm run package` writes it to dist/README.md and hands it to vsce.
import * as fs from 'fs';
import * as path from 'path';

const START = '<!-- marketplace -->';
const END = '<!-- /marketplace -->';

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The marked blocks of `readme`, under its title; links to sections left out keep their text only. */
export function userReadme(readme: string): string {
  const title = /^# .*$/m.exec(readme)?.[0] ?? '# Token Hub';
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const start = readme.indexOf(START, from);
    if (start === -1) break;
    const end = readme.indexOf(END, start);
    if (end === -1) throw new Error(`README.md: ${START} at offset ${start} has no ${END}`);
    blocks.push(readme.slice(start + START.length, end).trim());
    from = end + END.length;
  }
  if (blocks.length === 0) throw new Error(`README.md has no ${START} blocks`);
  const body = blocks.join('\n\n');
  const anchors = new Set([...body.matchAll(/^#{1,6} (.*)$/gm)].map((match) => headingAnchor(match[1])));
  const linked = body.replace(/\[([^\]]+)\]\(#([^)]+)\)/g, (whole, text: string, anchor: string) => (anchors.has(anchor) ? whole : text));
  return `${title}\n\n${linked}\n`;
}

/** `node dist/dev.js user-readme [out]`: writes the Marketplace README (default dist/README.md). */
export function writeUserReadme(repo: string, out = path.join(repo, 'dist', 'README.md')): string {
  const text = userReadme(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  return out;
}
