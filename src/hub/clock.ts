// The hub's notion of "now". Tests may shift it with TOKENHUB_TEST_CLOCK_OFFSET_MS (milliseconds, may be negative),
// so that a second hub process on the same database sees a token as expired without a test waiting for it.
// The offset is read once at start-up and announced in the log as a warning: it is never meant for production.

export type Clock = () => number;

export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): { now: Clock; offsetMs: number } {
  const raw = env.TOKENHUB_TEST_CLOCK_OFFSET_MS;
  const offsetMs = raw && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : 0;
  return { now: offsetMs === 0 ? Date.now : () => Date.now() + offsetMs, offsetMs };
}
