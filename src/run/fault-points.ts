/**
 * Named instants where the reliability tests kill a run (SIGKILL, no clean-up) to check that the state and
 * the outputs are always before-or-after, never between. Inert unless TALLY_FAULT_POINT names the point.
 */
export type FaultPoint = 'settle:in-transaction' | 'settle:after-commit' | 'settle:during-checkpoint' | 'run:before-rename' | 'output:mid-rename';

export function faultPoint(name: FaultPoint): void {
  if (process.env.TALLY_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * For a point inside an awaited native call (the state's CHECKPOINT, which DuckDB runs on its own thread while
 * the event loop waits): the kill fires on the loop's next turn, while the call is under way.
 */
export function faultPointDuring(name: FaultPoint): void {
  if (process.env.TALLY_FAULT_POINT === name) setImmediate(() => process.kill(process.pid, 'SIGKILL'));
}
