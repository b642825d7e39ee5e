/** A problem with how a tokenhub command was called: exit code 2. */
export class UsageError extends Error {}
