// A Prompter the extension-host tests script: answers are queued per question id and checked with the flow's own
// validation, exactly as a person's typing would be (an invalid answer is recorded and the next one is taken).
import { Answer, BACK, MessageOptions, PickItem, PickQuestion, Prompter, TextQuestion } from '../../src/extension/flows/prompter';

type Scripted = string | string[] | typeof BACK | undefined | ((items: PickItem<unknown>[]) => unknown);

export interface RecordedMessage {
  text: string;
  options: MessageOptions;
  actions: string[];
}

const stripIcons = (label: string) => label.replace(/\$\([^)]*\)\s*/g, '').trim();

export class ScriptedPrompter implements Prompter {
  private readonly queues = new Map<string, Scripted[]>();
  readonly asked: Array<{ id: string; question: TextQuestion | PickQuestion<unknown> }> = [];
  readonly rejected: Array<{ id: string; value: string; message: string }> = [];
  readonly messages: RecordedMessage[] = [];

  /** Queue answers for a question id: text, a pick label (or labels), BACK, or undefined to cancel. */
  answer(id: string, ...answers: Scripted[]): this {
    this.queues.set(id, [...(this.queues.get(id) ?? []), ...answers]);
    return this;
  }

  pending(): string[] {
    return [...this.queues.entries()].filter(([, queue]) => queue.length > 0).map(([id]) => id);
  }

  messagesWithId(id: string): RecordedMessage[] {
    return this.messages.filter((message) => message.options.id === id);
  }

  private next(id: string): Scripted {
    const queue = this.queues.get(id);
    if (!queue || queue.length === 0) throw new Error(`The test did not expect the question "${id}".`);
    return queue.shift();
  }

  async askText(question: TextQuestion): Promise<Answer<string>> {
    this.asked.push({ id: question.id, question });
    for (;;) {
      const answer = this.next(question.id);
      if (answer === undefined || answer === BACK) return answer;
      if (typeof answer !== 'string') throw new Error(`A text answer is needed for "${question.id}".`);
      const problem = question.validate?.(answer) ?? (await question.validateOnAccept?.(answer));
      if (problem) {
        this.rejected.push({ id: question.id, value: answer, message: problem });
        continue;
      }
      return answer;
    }
  }

  async pickOne<T>(question: PickQuestion<T>): Promise<Answer<T>> {
    const picked = await this.pick(question, false);
    return picked === undefined || picked === BACK ? picked : picked[0];
  }

  pickMany<T>(question: PickQuestion<T>): Promise<Answer<T[]>> {
    return this.pick(question, true);
  }

  private async pick<T>(question: PickQuestion<T>, many: boolean): Promise<Answer<T[]>> {
    this.asked.push({ id: question.id, question: question as PickQuestion<unknown> });
    for (;;) {
      const answer = this.next(question.id);
      if (answer === undefined || answer === BACK) return answer;
      let values: T[];
      if (typeof answer === 'function') values = [answer(question.items as PickItem<unknown>[]) as T];
      else {
        const labels = Array.isArray(answer) ? answer : [answer];
        values = labels.map((label) => {
          const item = question.items.find((candidate) => stripIcons(candidate.label) === label);
          if (!item) throw new Error(`"${question.id}" has no item "${label}"; it has ${question.items.map((i) => stripIcons(i.label)).join(', ')}.`);
          return item.value;
        });
      }
      if (!many && values.length !== 1) throw new Error(`"${question.id}" takes one item.`);
      const problem = question.validateSelection?.(values);
      if (problem) {
        this.rejected.push({ id: question.id, value: String(values), message: problem });
        continue;
      }
      return values;
    }
  }

  async message(text: string, options: MessageOptions, ...actions: string[]): Promise<string | undefined> {
    this.messages.push({ text, options, actions });
    const queue = this.queues.get(options.id);
    if (!queue || queue.length === 0) return undefined;
    const answer = queue.shift();
    return typeof answer === 'string' ? answer : undefined;
  }
}
