/**
 * A problem found while loading or compiling a ruleset. Diagnostics are collected, never thrown:
 * every problem of a ruleset is reported at once, and only the CLI boundary turns them into an exit code.
 */
export type Severity = 'error' | 'warning';

export interface SourcePosition {
  /** File the problem is in (a ruleset, a reference table, an expectations file). */
  file: string;
  /** 1-based line and column; absent when the problem has no place in a file. */
  line?: number;
  col?: number;
}

export interface Diagnostic extends SourcePosition {
  code: string;
  severity: Severity;
  /** A plain sentence saying what is wrong and, where it helps, what to do. */
  message: string;
  /** YAML path such as `prices[2].tiers[1].up_to`. */
  path?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `rulesets/x.yaml:14:9 prices[2].tiers[1].up_to: tiers must increase (1000 after 5000)` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.col].filter((x) => x !== undefined && x !== '').join(':');
  const path = d.path ? ` ${d.path}:` : '';
  const sev = d.severity === 'warning' ? ' warning:' : '';
  return `${where}${path}${sev} ${d.message} [${d.code}]`;
}
