/**
 * Named instants where the reliability tests kill a run (SIGKILL, no clean-up) to check that the state and
 * the outputs are always before-or-after, never between. Inert unless TALLY_FAULT_POINT names the point.
 */
export type FaultPoint = 'settle:in-transaction' | 'settle:after-commit' | 'run:before-rename';

export function faultPoint(name: FaultPoint): void {
  if (process.env.TALLY_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}
