// The command table (src/extension/commands/ids.ts) and the manifest say the same: which commands are contributed,
// which the Command Palette hides or shows on a condition, and which menus of the view list them.
import * as assert from 'assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND, COMMAND_PLACES, CommandName } from '../../src/extension/commands/ids';

const REPO = path.resolve(__dirname, '..', '..', '..');

interface MenuEntry {
  command: string;
  when?: string;
}

describe('the command table', () => {
  const contributes = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    contributes: { commands: Array<{ command: string }>; menus: Record<string, MenuEntry[]> };
  }).contributes;
  const names = Object.keys(COMMAND) as CommandName[];
  const idsWhere = (keep: (name: CommandName) => boolean) => names.filter(keep).map((name) => COMMAND[name]).sort();
  const unique = (ids: string[]) => [...new Set(ids)].sort();

  it('lists every contributed command, and only those, as contributed', () => {
    assert.deepEqual(contributes.commands.map((entry) => entry.command).sort(), idsWhere((name) => COMMAND_PLACES[name].palette !== 'internal'));
  });

  it('says which commands the Command Palette hides and which it shows on a condition', () => {
    const palette = contributes.menus.commandPalette;
    assert.deepEqual(unique(palette.filter((entry) => entry.when === 'false').map((entry) => entry.command)), idsWhere((name) => COMMAND_PLACES[name].palette === 'never'));
    assert.deepEqual(unique(palette.filter((entry) => entry.when !== 'false').map((entry) => entry.command)), idsWhere((name) => COMMAND_PLACES[name].palette === 'when'));
  });

  it('says which menus of the view list each command', () => {
    for (const menu of ['view/title', 'view/item/context'] as const) {
      assert.deepEqual(unique(contributes.menus[menu].map((entry) => entry.command)), idsWhere((name) => COMMAND_PLACES[name].menus.includes(menu)), menu);
    }
    assert.deepEqual(Object.keys(contributes.menus).sort(), ['commandPalette', 'view/item/context', 'view/title']);
  });
});
