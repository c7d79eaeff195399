/**
 * `tally diff` and `tally report` through the CLI, and their HTML pages opened in headless Chromium (Debian's
 * `chromium`, installed by .ci/run): the charts must be in the rendered page and the console must stay silent.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';

const RULESET = path.join(ROOT, 'rulesets/examples/cloud-api.yaml');
const USAGE = path.join(ROOT, 'fixtures/usage/cloud-api.csv');

/** The example with the platform fee raised from 49.00 to 59.00 a month. */
function raisedFee(dir: string): string {
  const text = fs.readFileSync(RULESET, 'utf8');
  expect(text).toContain('amount: "49.00"');
  return write(dir, 'cloud-api.yaml', text.replace('amount: "49.00"', 'amount: "59.00"').replaceAll('../../fixtures/', `${ROOT}/fixtures/`));
}

/** Renders a page in headless Chromium: the DOM after load, and every console message it logged. */
function openInChromium(file: string): { dom: string; console: string[] } {
  const r = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`cannot start chromium (${r.error.message}): install Debian's chromium package, as .ci/run does`);
  return { dom: r.stdout, console: r.stderr.split('\n').filter((line) => line.includes(':CONSOLE')) };
}

describe('tally diff', () => {
  it('reports the revenue impact of a raised monthly fee, hand-checked', () => {
    const dir = tempDir();
    const r = tally(['diff', RULESET, raisedFee(dir), USAGE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    // Three accounts pay the platform fee (3 × 49.00 = 147.00); each pays 10.00 more. 418.55 → 448.55 is +7.17 %.
    expect(report.totals).toEqual([{ currency: 'USD', old: '418.55', new: '448.55', delta: '30', percent: expect.stringMatching(/^7\.167\d+/) }]);
    expect(report.byCharge.filter((c: { delta: string }) => c.delta !== '0').map((c: { charge: string; delta: string }) => [c.charge, c.delta])).toEqual([['platform_fee', '30']]);
    expect(report.byAccount.slice(0, 3).map((a: { account: string; delta: string }) => [a.account, a.delta])).toEqual([['acct-acme', '10'], ['acct-globex', '10'], ['acct-hooli', '10']]);
    expect(report.lines).toEqual({ added: 0, removed: 0, changed: 3, unchanged: 21 });
    // Only acme's bill moves more than 10 %: 10 / 75.72 = 13.2 %; globex 5.0 %, hooli 7.0 %.
    expect(report.movers.map((m: { account: string }) => m.account)).toEqual(['acct-acme']);
  });

  it('--fail-over gates the change: exit 5 over the limit, 0 within it; Markdown for the pull request', () => {
    const dir = tempDir();
    const changed = raisedFee(dir);
    const over = tally(['diff', RULESET, changed, USAGE, '--fail-over', '5', '--markdown']);
    expect(over.code).toBe(5);
    expect(over.stderr).toContain('the USD total moves +7.17 %, more than --fail-over 5 %');
    expect(over.stdout).toContain('| USD | 418.55 | 448.55 | +30.00 | +7.17 % |');
    expect(over.stdout).toContain('| platform_fee | USD | 147.00 | 177.00 | +30.00 | +20.41 % |');
    expect(tally(['diff', RULESET, changed, USAGE, '--fail-over', '8']).code).toBe(0);
  });

  it('names the old ruleset as a git revision', () => {
    const r = tally(['diff', 'git:HEAD:rulesets/examples/cloud-api.yaml', 'rulesets/examples/cloud-api.yaml', USAGE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.old.source).toBe('git:HEAD:rulesets/examples/cloud-api.yaml');
    expect(report.totals[0].old).toBe(report.totals[0].new);
    const bad = tally(['diff', 'git:no-such-revision:rulesets/examples/cloud-api.yaml', RULESET, USAGE]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read git:no-such-revision:rulesets\/examples\/cloud-api\.yaml/);
  });

  it('writes a self-contained HTML page whose charts render in Chromium with a silent console', () => {
    const dir = tempDir();
    const html = path.join(dir, 'diff.html');
    expect(tally(['diff', RULESET, raisedFee(dir), USAGE, '--html', html, '--fail-over', '5']).code).toBe(5);
    const text = fs.readFileSync(html, 'utf8');
    expect(text).not.toMatch(/(src|href)="https?:/);
    const page = openInChromium(html);
    expect(page.console).toEqual([]);
    // Two charts (impact by charge, accounts by change), the fee's bar among them, and the verdict.
    expect(page.dom.match(/<svg /g)).toHaveLength(2);
    expect(page.dom).toMatch(/<title>platform_fee: \+30\.00 \(\+20\.41 %\)<\/title>/);
    expect(page.dom).toContain('Over the limit:');
  });

  it('the console check can fail: a page that loads from the network or runs a script is caught', () => {
    const dir = tempDir();
    const bad = write(dir, 'bad.html', `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
<body><img src="http://example.invalid/x.png"><script>console.error("boom")</script></body></html>`);
    expect(openInChromium(bad).console.length).toBeGreaterThan(0);
  });
});

describe('tally report', () => {
  it('summarizes a run with its wallets, rendered in Chromium', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.duckdb');
    expect(tally(['wallet', 'grant', 'acct-acme', '--amount', '30', '--state', state]).code).toBe(0);
    expect(tally(['run', RULESET, USAGE, '-o', path.join(dir, 'run'), '--state', state]).code).toBe(0);
    const html = path.join(dir, 'report.html');
    const r = tally(['report', path.join(dir, 'run'), '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const page = openInChromium(html);
    expect(page.console).toEqual([]);
    // Stages, reasons and charges each have a chart.
    expect(page.dom.match(/<svg /g)).toHaveLength(3);
    expect(page.dom).toContain('<title>invalid_quantity: 3</title>');
    expect(page.dom).toContain('<title>platform_fee (platform_activity): 147.00 USD</title>');
    expect(page.dom).toMatch(/<td>acct-acme<\/td><td>USD<\/td><td class="num">0\.00<\/td>/);
    const missing = tally(['report', path.join(dir, 'nowhere'), '--html', html]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('manifest.json: it does not exist');
  });
});
