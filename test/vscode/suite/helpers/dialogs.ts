// While extension tests run, VS Code refuses modal dialogs: `showWarningMessage(…, { modal: true }, …)` rejects with
// "DialogService: refused to show dialog in tests". A test that drives a flow with a modal confirmation answers it
// with answerModalDialogs(), which stands in for the window's message functions until restore().
import * as vscode from 'vscode';

type Kind = 'showInformationMessage' | 'showWarningMessage' | 'showErrorMessage';
const KINDS: Kind[] = ['showInformationMessage', 'showWarningMessage', 'showErrorMessage'];

export interface DialogCall {
  kind: Kind;
  message: string;
  detail?: string;
  /** The titles of the buttons offered. */
  items: string[];
  /** The title of the button answered (undefined: dismissed). */
  answer: string | undefined;
}

/** A button title to press, undefined to dismiss, or a function choosing one. */
export type DialogAnswer = string | undefined | ((call: Omit<DialogCall, 'answer'>) => string | undefined);

export interface ModalDialogStub {
  readonly calls: DialogCall[];
  restore(): void;
}

/**
 * Answers the next modal dialogs, in order, with `answers` (the last answer repeats when more dialogs come).
 * Non-modal messages go through as usual. Throws at the dialog if the answer is not one of its buttons.
 */
export function answerModalDialogs(...answers: DialogAnswer[]): ModalDialogStub {
  const window = vscode.window as unknown as Record<Kind, (...args: unknown[]) => Thenable<unknown>>;
  const originals = new Map<Kind, (...args: unknown[]) => Thenable<unknown>>();
  const calls: DialogCall[] = [];
  let next = 0;
  for (const kind of KINDS) {
    const original = window[kind];
    originals.set(kind, original);
    window[kind] = (message: unknown, ...rest: unknown[]) => {
      const options = rest[0] && typeof rest[0] === 'object' && !('title' in (rest[0] as object)) ? (rest[0] as vscode.MessageOptions) : undefined;
      if (!options?.modal) return original.call(vscode.window, message, ...rest);
      const items = rest.slice(1) as Array<string | vscode.MessageItem>;
      const titles = items.map((item) => (typeof item === 'string' ? item : item.title));
      const call = { kind, message: String(message), detail: options.detail, items: titles };
      const answer = answers.length === 0 ? undefined : answers[Math.min(next++, answers.length - 1)];
      const title = typeof answer === 'function' ? answer(call) : answer;
      calls.push({ ...call, answer: title });
      if (title === undefined) return Promise.resolve(undefined);
      const index = titles.indexOf(title);
      if (index < 0) return Promise.reject(new Error(`modal dialog "${call.message}" has no button "${title}" (it has: ${titles.join(', ')})`));
      return Promise.resolve(items[index]);
    };
  }
  return {
    calls,
    restore() {
      for (const [kind, original] of originals) window[kind] = original;
    },
  };
}
