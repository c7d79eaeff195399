#!/usr/bin/env node
// Thin launcher: everything lives in src/ (compiled to dist/ by `npm run build`, which `npm ci` runs through `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
