// The one runner of multi-step flows (create, sign in, insert into .env), as quickinput-sample's multiStepInput does:
// each step is a function that asks its question through the Prompter and says where to go next. Back (the quick
// input's button, or a step's own "Back" item) returns to the step that came before; on the first step it cancels.
import { Back, BACK } from './prompter';

export const DONE: unique symbol = Symbol('tokenHub.stepsDone') as never;

/** The next step, BACK to the previous one, DONE when the flow has its answer, undefined when the person cancelled. */
export type StepOutcome = FlowStep | Back | typeof DONE | undefined;
export type FlowStep = () => Promise<StepOutcome>;

/** Runs the steps from `first`; true when a step said DONE, false when cancelled (Escape, or Back on the first). */
export async function runSteps(first: FlowStep): Promise<boolean> {
  const previous: FlowStep[] = [];
  let current: FlowStep | undefined = first;
  while (current) {
    const outcome: StepOutcome = await current();
    if (outcome === undefined) return false;
    if (outcome === DONE) return true;
    if (outcome === BACK) current = previous.pop();
    else {
      previous.push(current);
      current = outcome;
    }
  }
  return false;
}
