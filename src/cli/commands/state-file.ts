/** Where the state file is: --state, else $TALLY_STATE, else ./tally-state.duckdb. */
export function stateFile(option: unknown): string {
  if (typeof option === 'string' && option) return option;
  return process.env.TALLY_STATE || 'tally-state.duckdb';
}
