/** Progress on a terminal with an ora spinner; a single summary line otherwise; nothing when quiet. */
import ora from 'ora';

export interface Progress {
  update(message: string): void;
  succeed(message: string): void;
  fail(): void;
}

export function startProgress(quiet: boolean): Progress {
  if (quiet) return { update: () => {}, succeed: () => {}, fail: () => {} };
  if (!process.stderr.isTTY) return { update: () => {}, succeed: (m) => process.stderr.write(`${m}\n`), fail: () => {} };
  const spinner = ora({ stream: process.stderr, text: 'starting' }).start();
  return {
    update: (m) => {
      spinner.text = m;
    },
    succeed: (m) => spinner.succeed(m),
    fail: () => spinner.stop(),
  };
}
