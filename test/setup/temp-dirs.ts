/**
 * vitest setupFiles: the folders a test file made with `tempDir()` (test/helpers/cli.ts) are removed after it,
 * so a developer's machine does not collect them run after run (a kill test leaves 100 MB of state copies).
 * TALLY_KEEP_TMP=1 keeps them for a look after a failure.
 */
import fs from 'node:fs';
import { afterAll } from 'vitest';
import { madeTempDirs } from '../helpers/cli.js';

afterAll(() => {
  if (process.env.TALLY_KEEP_TMP) return;
  for (const dir of madeTempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
