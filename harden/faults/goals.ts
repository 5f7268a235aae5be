// The goals of the fault scenarios: each a figure, a target, and whether the run fails without it.
import { formatLeft } from './format.js';

export interface Goal {
  readonly scenario: string;
  readonly goal: string;
  /** What was measured, as printed. */
  readonly figure: string;
  readonly pass: boolean;
  /** A must-hold goal that fails makes the harness exit non-zero; the others are printed only. */
  readonly mustHold: boolean;
}

export function goal(scenario: string, text: string, figure: string, pass: boolean, mustHold = true): Goal {
  return { scenario, goal: text, figure, pass, mustHold };
}

export function failedMustHold(goals: readonly Goal[]): Goal[] {
  return goals.filter((g) => g.mustHold && !g.pass);
}

export function formatGoals(goals: readonly Goal[]): string {
  return formatLeft(
    ['scenario', 'goal', 'figure', 'result'],
    goals.map((g) => [g.scenario, g.goal, g.figure, g.pass ? 'pass' : g.mustHold ? 'FAIL' : 'missed (not must-hold)']),
  );
}
