/**
 * Errors that reach the CLI boundary. Record-level problems never become errors (they are rejects);
 * these are the failures of a whole command, each with its exit code and a hint saying what to do.
 */
export const EXIT = {
  ok: 0,
  /** Data or infrastructure failure: unreadable input, too many rejects, disk errors. */
  failure: 1,
  /** Wrong command-line usage. */
  usage: 2,
  /** The ruleset has errors. */
  ruleset: 3,
  /** `tally test` found a failing expectation (reported as 1 too; kept distinct in docs). */
  /** Another tally process holds the state file; nothing was done. */
  stateHeld: 4,
  /** `tally diff --fail-over`: the rate-card change moves revenue more than allowed. */
  diffOver: 5,
} as const;

export class TallyError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class DataError extends TallyError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT.failure);
  }
}

export class UsageError extends TallyError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT.usage);
  }
}

export class StateHeldError extends TallyError {
  constructor(file: string) {
    super(`another tally process holds ${file}; nothing was done`, 'wait for it to finish, or give another --state', EXIT.stateHeld);
  }
}
