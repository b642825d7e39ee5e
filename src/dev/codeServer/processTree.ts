// Ending a process with everything it started: its group and every descendant (read from /proc), SIGTERM, then
// SIGKILL after a grace period.
import * as fs from 'fs';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every descendant of pid (Linux: read from /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone already
    }
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Kills a process, its process group and all its descendants (some of which may have left the group). */
export async function killTree(pid: number, graceMs = 5000): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // not a group leader or gone
  }
  signal(tree, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && tree.some(processAlive)) await sleep(100);
  const left = [...tree, ...tree.flatMap((p) => (processAlive(p) ? descendants(p) : []))].filter(processAlive);
  if (left.length > 0) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    signal(left, 'SIGKILL');
  }
}
