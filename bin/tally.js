#!/usr/bin/env node
// Thin launcher: everything lives in src/ (compiled to dist/ by `npm run build`, which `npm ci` runs through `prepare`).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
process.exitCode = code;
// Normally the process ends here on its own; if anything still holds the event loop (an engine handle after a
// failure), end it anyway once output has had time to flush. The timer itself never keeps the process alive.
setTimeout(() => process.exit(code), 2000).unref();
