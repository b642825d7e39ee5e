/**
 * The same credential with its last character changed, so its checksum no longer matches. Changing it to a fixed
 * character would give back the credential itself whenever it already ends in that character (1 in 62 runs).
 */
export function withWrongChecksum(credential: string): string {
  return credential.slice(0, -1) + (credential.at(-1) === 'A' ? 'B' : 'A');
}
