/**
 * vitest globalSetup: one fast-check seed for the whole test run, so every property test of a run can be
 * replayed at once. TALLY_FC_SEED fixes it (the soak sets it and records it); otherwise it is drawn fresh.
 */
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    fcSeed: number;
  }
}

export default function setup(project: TestProject): void {
  const fixed = process.env.TALLY_FC_SEED;
  if (fixed !== undefined && !/^-?\d+$/.test(fixed)) throw new Error(`TALLY_FC_SEED must be an integer, not "${fixed}"`);
  const seed = fixed !== undefined ? Number(fixed) : (Math.random() * 0x7fffffff) | 0;
  project.provide('fcSeed', seed);
  if (fixed === undefined) process.stdout.write(`fast-check seed ${seed} (replay every property with TALLY_FC_SEED=${seed})\n`);
}
