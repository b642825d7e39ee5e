// The step runner of the multi-step flows: forward, Back to the step that came before, cancel, done.
import * as assert from 'assert/strict';
import { BACK } from '../../src/extension/flows/prompter';
import { DONE, FlowStep, runSteps, StepOutcome } from '../../src/extension/flows/steps';

/** Steps named a, b, c that answer from a script; `visits` is the order they ran in. */
function scripted(script: Record<string, Array<'next' | 'back' | 'cancel' | 'done' | string>>) {
  const visits: string[] = [];
  const steps: Record<string, FlowStep> = {};
  for (const name of Object.keys(script)) {
    steps[name] = async (): Promise<StepOutcome> => {
      visits.push(name);
      const answer = script[name].shift();
      if (answer === 'back') return BACK;
      if (answer === 'cancel' || answer === undefined) return undefined;
      if (answer === 'done') return DONE;
      return steps[answer];
    };
  }
  return { steps, visits };
}

describe('runSteps', () => {
  it('goes forward, and Back returns to the step that led to this one (not a fixed one)', async () => {
    const { steps, visits } = scripted({ a: ['b', 'b'], b: ['c', 'back', 'd'], c: ['back'], d: ['done'] });
    assert.equal(await runSteps(steps.a), true);
    assert.deepEqual(visits, ['a', 'b', 'c', 'b', 'a', 'b', 'd']);
  });

  it('cancels on Escape, and on Back from the first step', async () => {
    assert.equal(await runSteps(scripted({ a: ['b'], b: ['cancel'] }).steps.a), false);
    const { steps, visits } = scripted({ a: ['back'] });
    assert.equal(await runSteps(steps.a), false);
    assert.deepEqual(visits, ['a']);
  });
});
