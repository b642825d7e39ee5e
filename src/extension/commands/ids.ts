// The one table of the extension's commands: the ids that registration (extension.ts), the tree's items, the code
// actions and the tests use, and where each shows. package.json's contributes.commands and menus must say the same
// (test/unit/commandTable.test.ts); the activation suite checks that each one is registered.
export const COMMAND = {
  signIn: 'tokenHub.signIn',
  signOut: 'tokenHub.signOut',
  connectFromEnvironment: 'tokenHub.connectFromEnvironment',
  keepSignedIn: 'tokenHub.keepSignedIn',
  refresh: 'tokenHub.refresh',
  retry: 'tokenHub.retry',
  createToken: 'tokenHub.createToken',
  deleteToken: 'tokenHub.deleteToken',
  rotateToken: 'tokenHub.rotateToken',
  copyToken: 'tokenHub.copyToken',
  copyMaskedKey: 'tokenHub.copyMaskedKey',
  insertIntoEnv: 'tokenHub.insertIntoEnv',
  useInTerminals: 'tokenHub.useInTerminals',
  stopUsingInTerminals: 'tokenHub.stopUsingInTerminals',
  filter: 'tokenHub.filter',
  clearFilter: 'tokenHub.clearFilter',
  loadMore: 'tokenHub.loadMore',
  showLog: 'tokenHub.showLog',
  showUsage: 'tokenHub.showUsage',
  scanWorkspace: 'tokenHub.scanWorkspace',
  // The leak guard's quick fixes and the usage index's Cancel (its status bar item): run from code, not contributed.
  moveToEnv: 'tokenHub.leakGuard.moveToEnv',
  revokeExposed: 'tokenHub.leakGuard.revoke',
  ignoreHere: 'tokenHub.leakGuard.ignoreHere',
  addToGitignore: 'tokenHub.leakGuard.addToGitignore',
  removeExposed: 'tokenHub.leakGuard.removeToken',
  cancelIndex: 'tokenHub.usages.cancel',
} as const;

export type CommandName = keyof typeof COMMAND;
export type CommandId = (typeof COMMAND)[CommandName];

/**
 * Where a command shows. palette: 'always' (no commandPalette entry), 'when' (an entry with a condition), 'never'
 * (`when: false`), 'internal' (not contributed at all). menus: the menus of the Token Hub view that list it.
 */
export interface CommandPlaces {
  palette: 'always' | 'when' | 'never' | 'internal';
  menus: ReadonlyArray<'view/title' | 'view/item/context'>;
}

export const COMMAND_PLACES: Record<CommandName, CommandPlaces> = {
  signIn: { palette: 'always', menus: ['view/title'] },
  signOut: { palette: 'always', menus: ['view/item/context'] },
  connectFromEnvironment: { palette: 'when', menus: [] },
  keepSignedIn: { palette: 'when', menus: ['view/item/context'] },
  refresh: { palette: 'always', menus: ['view/title'] },
  retry: { palette: 'never', menus: ['view/item/context'] },
  createToken: { palette: 'always', menus: ['view/title', 'view/item/context'] },
  deleteToken: { palette: 'always', menus: ['view/item/context'] },
  rotateToken: { palette: 'always', menus: ['view/item/context'] },
  copyToken: { palette: 'never', menus: ['view/item/context'] },
  copyMaskedKey: { palette: 'never', menus: ['view/item/context'] },
  insertIntoEnv: { palette: 'always', menus: ['view/item/context'] },
  useInTerminals: { palette: 'always', menus: ['view/item/context'] },
  stopUsingInTerminals: { palette: 'when', menus: ['view/item/context'] },
  filter: { palette: 'always', menus: ['view/title'] },
  clearFilter: { palette: 'when', menus: ['view/title'] },
  loadMore: { palette: 'never', menus: [] },
  showLog: { palette: 'always', menus: ['view/title'] },
  showUsage: { palette: 'always', menus: ['view/item/context'] },
  scanWorkspace: { palette: 'always', menus: ['view/title'] },
  moveToEnv: { palette: 'internal', menus: [] },
  revokeExposed: { palette: 'internal', menus: [] },
  ignoreHere: { palette: 'internal', menus: [] },
  addToGitignore: { palette: 'internal', menus: [] },
  removeExposed: { palette: 'internal', menus: [] },
  cancelIndex: { palette: 'internal', menus: [] },
};
