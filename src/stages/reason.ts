import { str } from '../ruleset/spec.js';

/** Reason codes are short snake_case words: they are counted, grouped and matched by billing teams. */
export const REASON = str('Reason code written on rejected rows (snake_case).', {
  pattern: /^[a-z][a-z0-9_]*$/,
  patternHint: 'must be a snake_case code such as invalid_quantity',
});
