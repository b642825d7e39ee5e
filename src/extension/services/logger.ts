// The one log of the extension. Everything passes through redaction before it reaches the channel.
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/redact';

export class Logger implements vscode.Disposable {
  constructor(private readonly channel: vscode.LogOutputChannel) {}

  info(message: string): void {
    this.channel.info(redactSecrets(message));
  }

  warn(message: string): void {
    this.channel.warn(redactSecrets(message));
  }

  error(message: string, error?: unknown): void {
    this.channel.error(redactSecrets(error === undefined ? message : `${message}: ${describeForLog(error)}`));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export function describeForLog(error: unknown): string {
  if (error instanceof Error) {
    const detail = (error as { detail?: string }).detail;
    return detail ? `${error.message} (${detail})` : `${error.message}${error.stack ? `\n${error.stack}` : ''}`;
  }
  return String(error);
}
