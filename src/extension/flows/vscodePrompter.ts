// The Prompter that people see: quick inputs with a step counter and a Back button, and real dialogs.
import * as vscode from 'vscode';
import { Answer, BACK, MessageOptions, PickQuestion, Prompter, TextQuestion } from './prompter';

export class VsCodePrompter implements Prompter {
  /** `onShow` sees each quick input as it opens (the test API passes it on, so a test can watch its busy state). */
  constructor(private readonly onShow?: (input: vscode.QuickInput) => void) {}

  askText(question: TextQuestion): Promise<Answer<string>> {
    const input = vscode.window.createInputBox();
    input.title = question.title;
    input.step = question.step;
    input.totalSteps = question.totalSteps;
    input.prompt = question.prompt;
    input.value = question.value ?? '';
    input.placeholder = question.placeholder;
    input.password = question.password ?? false;
    input.ignoreFocusOut = true;
    input.buttons = (question.step ?? 1) > 1 ? [vscode.QuickInputButtons.Back] : [];
    return new Promise<Answer<string>>((resolve) => {
      let settled = false;
      const finish = (answer: Answer<string>) => {
        if (settled) return;
        settled = true;
        resolve(answer);
        input.dispose();
      };
      const validate = (value: string) => {
        input.validationMessage = question.validate?.(value);
        return input.validationMessage === undefined;
      };
      input.onDidChangeValue(validate);
      input.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish(BACK);
      });
      input.onDidAccept(async () => {
        const value = input.value;
        if (!validate(value)) return;
        if (question.validateOnAccept) {
          // It may wait on the hub: the input shows it is working and takes no more typing until the answer comes.
          input.busy = true;
          input.enabled = false;
          const problem = await question.validateOnAccept(value).finally(() => {
            input.busy = false;
            input.enabled = true;
          });
          if (problem) {
            input.validationMessage = problem;
            return;
          }
        }
        finish(value);
      });
      input.onDidHide(() => finish(undefined));
      input.show();
      this.onShow?.(input);
      if (input.value) validate(input.value);
    });
  }

  pickOne<T>(question: PickQuestion<T>): Promise<Answer<T>> {
    return this.pick(question, false).then((answer) => (answer === BACK || answer === undefined ? answer : answer[0]));
  }

  pickMany<T>(question: PickQuestion<T>): Promise<Answer<T[]>> {
    return this.pick(question, true);
  }

  private pick<T>(question: PickQuestion<T>, many: boolean): Promise<Answer<T[]>> {
    type Item = vscode.QuickPickItem & { value: T };
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = question.title;
    quickPick.step = question.step;
    quickPick.totalSteps = question.totalSteps;
    quickPick.placeholder = question.placeholder;
    quickPick.canSelectMany = many;
    quickPick.ignoreFocusOut = true;
    quickPick.matchOnDescription = true;
    quickPick.buttons = (question.step ?? 1) > 1 ? [vscode.QuickInputButtons.Back] : [];
    const items: Item[] = question.items.map((item) => ({ ...item, picked: item.picked }));
    quickPick.items = items;
    if (many) quickPick.selectedItems = items.filter((item) => item.picked);
    else {
      const active = items.find((item) => item.picked);
      if (active) quickPick.activeItems = [active];
    }
    return new Promise<Answer<T[]>>((resolve) => {
      let settled = false;
      const finish = (answer: Answer<T[]>) => {
        if (settled) return;
        settled = true;
        resolve(answer);
        quickPick.dispose();
      };
      let warned = false;
      const problemWith = (selected: readonly Item[]) => question.validateSelection?.(selected.map((item) => item.value));
      if (many) {
        quickPick.onDidChangeSelection((selected) => {
          // Quick picks have no validation message: the placeholder carries the hint until the selection is valid.
          quickPick.placeholder = problemWith(selected) ?? question.placeholder;
        });
      }
      quickPick.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish(BACK);
      });
      quickPick.onDidAccept(() => {
        const selected = many ? quickPick.selectedItems : quickPick.activeItems;
        const problem = problemWith(selected);
        if (problem) {
          // A quick pick has no error state of its own (no validationMessage in 1.100): the placeholder says what to
          // do, and a warning says it where it cannot be missed, once per question.
          quickPick.placeholder = problem;
          if (!warned) void vscode.window.showWarningMessage(problem);
          warned = true;
          return;
        }
        if (selected.length === 0) return;
        finish(selected.map((item) => item.value));
      });
      quickPick.onDidHide(() => finish(undefined));
      quickPick.show();
      this.onShow?.(quickPick);
    });
  }

  async message(text: string, options: MessageOptions, ...actions: string[]): Promise<string | undefined> {
    const show =
      options.severity === 'error'
        ? vscode.window.showErrorMessage
        : options.severity === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    const items: vscode.MessageItem[] = actions.map((title) => ({ title }));
    if (options.modal && options.closeLabel) items.push({ title: options.closeLabel, isCloseAffordance: true });
    const chosen = await show(text, { modal: options.modal ?? false, detail: options.detail }, ...items);
    return chosen && !chosen.isCloseAffordance ? chosen.title : undefined;
  }
}
