// Every question a flow asks goes through this interface. The real one shows VS Code's quick inputs and
// dialogs; extension-host tests script it (VS Code refuses modal dialogs while tests run).
// Symbol.for: the extension bundle and the tests load separate copies of this module, and must agree on it.
export const BACK: unique symbol = Symbol.for('tokenHub.back') as never;
export type Back = typeof BACK;

/** undefined = the person cancelled (Escape); BACK = the Back button. */
export type Answer<T> = T | Back | undefined;

export interface Step {
  title: string;
  step?: number;
  totalSteps?: number;
}

export interface TextQuestion extends Step {
  /** Stable id so tests can answer by question, e.g. "name", "envVariable". */
  id: string;
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  /** Checked as the person types: a sentence saying what is wrong, or undefined. */
  validate?: (value: string) => string | undefined;
  /** Checked on Enter (may ask the hub): a sentence saying what is wrong, or undefined. */
  validateOnAccept?: (value: string) => Promise<string | undefined>;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  value: T;
}

export interface PickQuestion<T> extends Step {
  id: string;
  placeholder: string;
  items: PickItem<T>[];
  /** For multi-pick: why the current selection is not acceptable, or undefined. */
  validateSelection?: (values: T[]) => string | undefined;
}

export interface MessageOptions {
  id: string;
  detail?: string;
  modal?: boolean;
  severity?: 'info' | 'warning' | 'error';
  /** For modal messages: the title of the button that dismisses it (VS Code's default is "Cancel"). */
  closeLabel?: string;
}

export interface Prompter {
  askText(question: TextQuestion): Promise<Answer<string>>;
  pickOne<T>(question: PickQuestion<T>): Promise<Answer<T>>;
  pickMany<T>(question: PickQuestion<T>): Promise<Answer<T[]>>;
  /** A message with buttons; resolves to the chosen button's title, or undefined when dismissed. */
  message(text: string, options: MessageOptions, ...actions: string[]): Promise<string | undefined>;
}
