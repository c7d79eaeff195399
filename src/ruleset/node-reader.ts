/**
 * Keeps what is needed to point at the source while reading a YAML document: the file name, its text,
 * the line counter, the collected diagnostics, and, for each object read, the node of each key,
 * so semantic checks done after reading can still say `file:line:col path: message`.
 */
import { LineCounter, isNode, isScalar, visit, type Document, type Node } from 'yaml';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';

/** One YAML file of a ruleset (a ruleset folder has several). */
export interface SourceFile {
  file: string;
  text: string;
  lines: LineCounter;
}

export class NodeReader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly origins = new WeakMap<object, Map<string, Node>>();
  /** Which file each node came from, for rulesets split over several files. */
  private readonly sources = new WeakMap<Node, SourceFile>();
  private readonly main: SourceFile;

  constructor(file: string, text: string, lines: LineCounter) {
    this.main = { file, text, lines };
  }

  get file(): string {
    return this.main.file;
  }

  /** Registers the nodes of a document parsed from another file of the same ruleset. */
  addDocument(doc: Document, source: SourceFile): void {
    visit(doc, (_key, node) => {
      if (isNode(node)) this.sources.set(node, source);
    });
    visit(doc, {
      Pair: (_key, pair) => {
        if (isNode(pair.key)) this.sources.set(pair.key, source);
      },
    });
  }

  private sourceOf(node: Node | null | undefined): SourceFile {
    return (node && this.sources.get(node)) || this.main;
  }

  /** Records where `obj[key]` came from (key '' = the object itself). */
  remember(obj: object, key: string, node: Node): void {
    let m = this.origins.get(obj);
    if (!m) this.origins.set(obj, (m = new Map()));
    m.set(key, node);
  }

  nodeOf(obj: object, key = ''): Node | undefined {
    return this.origins.get(obj)?.get(key) ?? (key ? this.origins.get(obj)?.get('') : undefined);
  }

  /** The exact source text of a scalar (so `0.0100` is not read as the float 0.01). */
  sourceText(node: Node): string {
    const [start, end] = node.range ?? [0, 0];
    return this.sourceOf(node).text.slice(start, end).trim();
  }

  /** The string value of an expression scalar; numbers and booleans keep their source text. */
  sourceValue(node: Node): string {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    return this.sourceText(node);
  }

  position(node: Node | null | undefined, offset = 0): { line?: number; col?: number } {
    if (!node?.range) return {};
    const p = this.sourceOf(node).lines.linePos(node.range[0] + offset);
    return { line: p.line, col: p.col };
  }

  /**
   * Position of a character inside an expression scalar. Plain and single-line quoted scalars map one to one;
   * for block scalars, count lines in the value.
   */
  positionInScalar(node: Node | null | undefined, charOffset: number): { line?: number; col?: number } {
    if (!node?.range || !isScalar(node)) return this.position(node);
    const src = this.sourceOf(node);
    const raw = src.text.slice(node.range[0], node.range[1]);
    const quoted = raw.startsWith('"') || raw.startsWith("'");
    if (node.type === 'PLAIN' || quoted) {
      return this.position(node, charOffset + (quoted ? 1 : 0));
    }
    // Block scalar: find the line of the value holding the offset.
    const value = String(node.value);
    const before = value.slice(0, charOffset);
    const lineIndex = before.split('\n').length - 1;
    const col = before.length - before.lastIndexOf('\n');
    const start = src.lines.linePos(node.range[0]);
    return { line: start.line + 1 + lineIndex, col: col + (raw.split('\n')[1]?.search(/\S/) ?? 0) };
  }

  report(node: Node | null | undefined, path: string, code: string, message: string, severity: Severity = 'error', pos?: { line?: number; col?: number }): void {
    this.diagnostics.push({ code, severity, message, file: this.sourceOf(node).file, path, ...(pos ?? this.position(node)) });
  }

  /** Reports an error and returns undefined, so readers can `return r.fail(...)`. */
  fail(node: Node | null | undefined, path: string, code: string, message: string): undefined {
    this.report(node, path, code, message);
    return undefined;
  }
}
