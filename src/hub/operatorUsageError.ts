/** A problem with how an operator command (serve, init, endpoint, account-key) was called: exit code 2. The client
 * commands' equivalent is src/cli/errors.ts's OperatorUsageError. */
export class OperatorUsageError extends Error {}
