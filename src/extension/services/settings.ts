// Typed configuration, read in one place. Hub URLs come from user (global) scope only: a cloned repository's
// workspace settings must never be able to point an account key at another host.
import * as vscode from 'vscode';
import { validateEnvVariableName } from '../../core/validation';

export interface HubEntry {
  url: string;
  workspaceId: string;
  workspaceName: string;
}

export interface Settings {
  envFile: string;
  /** envFile was set by the folder's own settings (.vscode/settings.json): an input a cloned repository controls. */
  envFileFromWorkspace: boolean;
  envVariable: string;
  expiryWarningDays: number;
  refreshIntervalSeconds: number;
  clipboardClearSeconds: number;
  scanOnType: boolean;
}

const SECTION = 'tokenHub';

function validEnvVariable(value: string | undefined): string {
  return value && validateEnvVariableName(value) === null ? value : 'TOKENHUB_TOKEN';
}

function isHubEntry(value: unknown): value is HubEntry {
  const entry = value as HubEntry;
  return !!entry && typeof entry.url === 'string' && typeof entry.workspaceId === 'string';
}

export class SettingsService {
  /** Hubs from user settings only; workspace and folder values are ignored on purpose. */
  hubs(): HubEntry[] {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown[]>('hubs');
    const value = inspected?.globalValue ?? [];
    return Array.isArray(value)
      ? value.filter(isHubEntry).map((entry) => ({ ...entry, workspaceName: entry.workspaceName ?? entry.workspaceId }))
      : [];
  }

  async saveHubs(hubs: HubEntry[]): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update('hubs', hubs, vscode.ConfigurationTarget.Global);
  }

  read(scope?: vscode.Uri): Settings {
    const config = vscode.workspace.getConfiguration(SECTION, scope);
    const integer = (key: string, fallback: number, min: number) => {
      const value = config.get<number>(key, fallback);
      return Number.isFinite(value) && value >= min ? Math.floor(value) : fallback;
    };
    // How long a secret stays on the clipboard is the person's choice alone: a repository must not be able to keep it
    // there (0 = never cleared), so workspace and folder values are ignored.
    const clipboard = config.inspect<number>('clipboardClearSeconds');
    const clipboardSeconds = clipboard?.globalValue ?? clipboard?.defaultValue ?? 60;
    const envFile = config.inspect<string>('envFile');
    const envFileValue = config.get<string>('envFile', '.env') || '.env';
    const fromWorkspace = [envFile?.workspaceFolderValue, envFile?.workspaceValue].some((value) => value !== undefined && value === envFileValue);
    return {
      envFile: envFileValue,
      envFileFromWorkspace: fromWorkspace,
      // Only a default for the prompt that names the variable; a name that is not one (from any scope) is not offered.
      envVariable: validEnvVariable(config.get<string>('envVariable', 'TOKENHUB_TOKEN')),
      expiryWarningDays: integer('expiryWarningDays', 7, 0),
      refreshIntervalSeconds: integer('refreshIntervalSeconds', 300, 0),
      clipboardClearSeconds: Number.isFinite(clipboardSeconds) && clipboardSeconds >= 0 ? Math.floor(clipboardSeconds) : 60,
      scanOnType: config.get<boolean>('scanOnType', true),
    };
  }

  onDidChange(listener: (event: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SECTION)) listener(event);
    });
  }
}
