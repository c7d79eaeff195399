/**
 * `tally run`: files → mediated events → charge lines → output folder, all or nothing.
 *
 * Every input row ends in exactly one of accepted, rejected (with a reason), filtered or duplicate;
 * the manifest shows rows_read = accepted + rejected + duplicates + filtered per file, and the run refuses
 * to finish if that does not hold.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database, type EngineOptions } from '../engine/duckdb/database.js';
import type { InputFile } from '../io/sources/local-files.js';
import { fetchInputs, type RunInputs } from '../io/sources/inputs.js';
import type { InputOrigin } from '../io/sources/source.js';
import { Profile } from '../io/profile/profile.js';
import { writeCharges, type ChargesFormat } from '../io/sinks/charges-file.js';
import { writeRejects } from '../io/sinks/rejects-file.js';
import { writeRejectRows } from '../io/sinks/rejects-rows.js';
import { fetchedCharges, rateInSnowflake, type PushdownResult } from './pushdown.js';
import { OutputDir } from '../io/sinks/output-dir.js';
import { DataError, UsageError } from '../cli/errors.js';
import { dec, Decimal } from '../pricing/index.js';
import type { RulesetIR } from '../ruleset/ir.js';
import { buildEvents, checkReferenceTables, firstLine, releaseEvents, type MalformedRow } from './mediate.js';
import { rateCharges, type ChargeLine } from './rate.js';
import { memoryForRating, placeEvents } from './events-store.js';
import { countOutcomes, type OutcomeCounts } from './outcome-counts.js';
import { writeRatedEvents } from './rated-events.js';
import { fingerprintFiles } from '../io/sources/fingerprint.js';
import { writeBalances, writeEntries, writeTopUps } from '../io/sinks/wallet-files.js';
import { StateStore } from '../state/store.js';
import { loadContracts, type ContractTerms } from '../state/contracts.js';
import { runId, settle, type ConsumedInput, type Settlement } from './settle.js';
import { lineSums } from './line-sums.js';
import { acrossRunsDedupe, loadSeenEvents, writeRunKeys } from './across-runs.js';
import { committedOffsets } from '../state/stream-offsets.js';
import { readAccountsFile } from './declared-position.js';
import { faultPoint } from './fault-points.js';

export interface RunOptions {
  out: string;
  format: ChargesFormat;
  /** Fraction 0..1 of rows that may be rejected before the run fails. */
  maxRejectRate?: number;
  ratedEvents?: boolean;
  engine?: EngineOptions;
  /**
   * Where mediation and metering run: DuckDB here (default), or Snowflake over the one snowflake:// table given
   * (src/run/pushdown.ts; DuckDB then only writes the outputs).
   */
  sqlEngine?: 'duckdb' | 'snowflake';
  /** The state file whose wallets and commitments pay the lines; absent: no wallets, all of each line is overage. */
  state?: string;
  /** Compute the wallet step but write nothing to the state. */
  dryRun?: boolean;
  /** The ruleset compiled again with contract terms kept in the state file (`tally contract set`), when it has some. */
  withContracts?: (contracts: ContractTerms[]) => RulesetIR;
  /** Export profiles to write beside the charges (built-in names or YAML files), and their enrichment table. */
  exports?: { profiles: string[]; enrichment?: string };
  /** Warehouse tables to merge the lines into after the run commits (`snowflake://CONNECTION/DB.SCHEMA.TABLE`). */
  load?: string[];
  /** Inputs already fetched (a diff rates the same fetched usage twice); otherwise the arguments are fetched. */
  prefetched?: RunInputs;
  /** Where remote inputs (s3://, kafka://, api://, snowflake://) are fetched from, and how. */
  sources?: { profile: Profile; since?: string; until?: string; s3Endpoint?: string };
  /** Called with a short status while the run progresses (the CLI shows it on a spinner). */
  progress?: (message: string) => void;
}

export interface FileCounts {
  file: string;
  format: string;
  bytes: number;
  sha256: string;
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  filtered: number;
  /** Where a remote input came from (an S3 object's key, ETag and size; a topic; an API). */
  origin?: InputOrigin;
}

export interface Manifest {
  tally: string;
  ruleset: { name: string; version: string; file: string; sha256: string };
  inputs: FileCounts[];
  /** Set when mediation and metering ran in Snowflake (--engine snowflake); absent: DuckDB. */
  engine?: 'snowflake';
  /** Set when the mediated events were kept in a work file on disk (--events-store); absent: in memory. */
  events_store?: 'disk';
  counts: {
    rows_read: number;
    accepted: number;
    rejected: number;
    duplicates: number;
    filtered: number;
    by_stage: Record<string, { rejected: number; filtered: number; duplicates: number }>;
    by_reason: Record<string, number>;
  };
  lines: number;
  totals: Record<string, { amount: string; amount_exact: string; lines: number }>;
  /** Amounts per charge (and its meter), for reports. */
  by_charge: { charge: string; meter: string; currency: string; lines: number; amount: string }[];
  /** The accounts with the largest bills (at most 20 per currency). */
  top_accounts: { account: string; currency: string; lines: number; amount: string }[];
  outputs: string[];
  /** The wallet step, when the run kept state. */
  state?: {
    file: string;
    run_id: string;
    /** The same run had been committed before: nothing new was written, the outputs were rewritten from it. */
    repeated: boolean;
    dry_run: boolean;
    entries: number;
    top_ups: number;
    /** Lines held instead of billed, by reason. */
    held: Record<string, number>;
    /** Per currency: what commitments and credits covered, and what is left to invoice. */
    totals: Record<string, { covered_by_commitment: string; covered_by_credits: string; overage: string }>;
  };
  timings_ms: Record<string, number>;
}

export interface RunResult {
  manifest: Manifest;
  lines: ChargeLine[];
}

export const TALLY_VERSION = '0.1.0';

/** Runs a ruleset over input files and writes the output folder. */
export async function runRuleset(rulesetAsGiven: RulesetIR, inputArgs: string[], opts: RunOptions): Promise<RunResult> {
  let ruleset = rulesetAsGiven;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t0);
    t0 = now;
  };
  const say = opts.progress ?? (() => {});
  // The state first: a second process on the same file stops here, before any work or any output.
  const state = opts.state ? await StateStore.open(opts.state, opts.dryRun ? 'scratch' : 'create') : null;
  let out: OutputDir;
  // An s3:// output is written to a local folder first, then published whole (see io/sinks/s3.ts).
  const remoteOut = opts.out.startsWith('s3://') ? opts.out : null;
  const localOut = remoteOut ? fs.mkdtempSync(path.join(os.tmpdir(), 'tally-out-')) : opts.out;
  try {
    out = new OutputDir(localOut);
  } catch (e) {
    state?.close();
    throw e;
  }
  let db: Database | null = null;
  try {
    if (state && opts.withContracts) {
      const contracts = await loadContracts(state);
      if (contracts.length) ruleset = opts.withContracts(contracts);
    }
    db = await Database.open(opts.engine);
    const pushed = opts.sqlEngine === 'snowflake' ? await pushdown(ruleset, inputArgs, opts, say) : null;
    const fetched = pushed?.fetched ?? opts.prefetched ?? await fetchInputs(inputArgs, {
      tempDir: out.staging,
      declared: ruleset.input.format,
      profile: opts.sources?.profile ?? Profile.empty(),
      ...(opts.sources?.since ? { since: opts.sources.since } : {}),
      ...(opts.sources?.until ? { until: opts.sources.until } : {}),
      ...(opts.sources?.s3Endpoint ? { s3Endpoint: opts.sources.s3Endpoint } : {}),
      // Without a state file a stream is read from its start, and nothing remembers where this run stopped.
      ...(state ? { committedOffsets: (stream: string) => committedOffsets(state, ruleset.name, stream) } : {}),
    });
    const files = fetched.files;
    const hashes = pushed ? Promise.resolve([{ sha256: pushed.result.sha256, bytes: 0 }]) : fingerprintFiles(files);
    lap(pushed ? 'pushdown' : 'resolve');
    let malformed: MalformedRow[] = [];
    // Dedupe across runs needs the state's keys; a pushed-down run refuses such a ruleset before this.
    const acrossRuns = state && !pushed ? acrossRunsDedupe(ruleset) : null;
    if (!pushed) {
      say(`reading ${files.length} file${files.length === 1 ? '' : 's'}`);
      await checkReferenceTables(db, ruleset);
      if (acrossRuns) await loadSeenEvents(state!, db, ruleset, runId(ruleset, fileKeys(files, await hashes)), out.staging);
      await placeEvents(db, files, opts.engine?.eventsStore);
      try {
        ({ malformed } = await buildEvents(db, ruleset, files, false, acrossRuns !== null));
      } catch (e) {
        if (e instanceof DataError) throw e;
        throw new DataError(`cannot read the input: ${firstLine(e)}`, 'check that each file is complete and in the declared format (a truncated .gz or a non-Parquet file cannot be read)');
      }
      lap('mediate');
      await memoryForRating(db);
    }
    const counts = pushed?.result.counts ?? await countOutcomes(db, ruleset, files, malformed);
    const seenEvents = acrossRuns ? { file: await writeRunKeys(db, ruleset, out.staging), lookbackDays: acrossRuns.lookbackDays } : null;
    const total = counts.files.reduce((n, c) => n + c.rows_read, 0);
    const rejected = counts.files.reduce((n, c) => n + c.rejected, 0);
    if (opts.maxRejectRate !== undefined && total > 0 && rejected / total > opts.maxRejectRate) {
      throw new DataError(`${rejected} of ${total} rows were rejected (${((100 * rejected) / total).toFixed(2)} %), over --max-reject-rate ${(opts.maxRejectRate * 100).toFixed(2)} %; nothing was written`, 'see the reasons with a run without --max-reject-rate, or fix the input');
    }
    say(`rating ${counts.files.reduce((n, c) => n + c.accepted, 0)} events`);
    // Rejects depend on mediation alone: written now, the mediated events can go as soon as rating has read them.
    if (pushed) await writeRejectRows(db, out.file('rejects.csv'), pushed.result.sourceName, pushed.result.rejects);
    else await writeRejects(db, out.file('rejects.csv'), files, malformed);
    const rated = await rateCharges(pushed ? fetchedCharges(ruleset, pushed.result.chargeRows) : db, ruleset);
    const ratedEvents = opts.ratedEvents || ruleset.outputs.ratedEvents;
    if (!pushed && !ratedEvents) await releaseEvents(db);
    lap('rate');
    const chargesName = `charges.${opts.format === 'jsonl' ? 'jsonl' : opts.format === 'parquet' ? 'parquet' : 'csv'}`;
    const writeExports = opts.exports?.profiles.length ? await prepareExports(opts.exports, rated, ruleset) : null;
    const fileHashes = await hashes;
    lap('fingerprint_wait');
    // Every output is written into the staging folder from the settlement; with a state file, inside its
    // transaction before COMMIT (src/run/settle.ts), so a run whose outputs cannot be written is not recorded.
    const written: { manifest?: Manifest } = {};
    let lines = rated;
    const writeOutputs = async (settlement: Settlement | null): Promise<void> => {
      lines = settlement?.lines ?? rated;
      if (settlement) lap('settle');
      say(`writing ${lines.length} lines`);
      await writeCharges(out.file(chargesName), opts.format, lines, ruleset, db!);
      if (ratedEvents) await writeRatedEvents(db!, ruleset, lines, files, out.file('rated-events.parquet'));
      const walletFiles = settlement ? ['wallet-entries.csv', 'balances.csv', 'top-ups.csv'] : [];
      if (settlement) {
        writeEntries(out.file('wallet-entries.csv'), settlement.entries);
        writeBalances(out.file('balances.csv'), settlement.balances);
        writeTopUps(out.file('top-ups.csv'), settlement.topUps);
      }
      const id = settlement?.txnId ?? runId(ruleset, consumed);
      // Without state there is no ledger: entry and top-up profiles write a header only.
      const exportFiles = writeExports ? writeExports({ lines, entries: settlement?.entries ?? [], topUps: settlement?.topUps ?? [] }, id, out) : [];
      lap('write');
      const manifest = buildManifest(ruleset, files, counts, fileHashes, lines, timings);
      if (settlement) manifest.state = stateSummary(opts.state!, settlement, lines);
      if (pushed) manifest.engine = 'snowflake';
      if (db!.tablesOnDisk) manifest.events_store = 'disk';
      manifest.outputs = [chargesName, 'rejects.csv', ...(ratedEvents ? ['rated-events.parquet'] : []), ...walletFiles, ...exportFiles, 'manifest.json'];
      fs.writeFileSync(out.file('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      written.manifest = manifest;
    };
    const consumed = fileKeys(files, fileHashes);
    let settlement: Settlement | null = null;
    if (state) {
      say('applying credits and commitments');
      const fileAccounts = ruleset.position.accountsFile ? await readAccountsFile(db, ruleset.position.accountsFile) : [];
      settlement = await settle(state, ruleset, consumed, rated, { dryRun: opts.dryRun === true, fileAccounts, offsets: fetched.offsets, ...(seenEvents ? { seenEvents } : {}), beforeCommit: writeOutputs });
    } else {
      await writeOutputs(null);
    }
    const id = settlement?.txnId ?? runId(ruleset, consumed);
    faultPoint('run:before-rename');
    out.commit();
    if (remoteOut) {
      say(`publishing to ${remoteOut}`);
      const { uploadOutputDir } = await import('../io/sinks/s3.js');
      await uploadOutputDir(localOut, remoteOut, { profile: opts.sources?.profile ?? Profile.empty(), ...(opts.sources?.s3Endpoint ? { s3Endpoint: opts.sources.s3Endpoint } : {}) });
    }
    // After the state commit and the outputs: a load that fails is repeated by running again (a repeated run
    // rewrites its outputs, and the MERGE on line ids never duplicates).
    for (const target of opts.load ?? []) {
      say(`loading ${lines.length} lines into ${target}`);
      const { loadLinesToSnowflake } = await import('../io/sinks/snowflake.js');
      await loadLinesToSnowflake(target, lines, { runId: id, ruleset: ruleset.name, rulesetVersion: ruleset.version }, opts.sources?.profile ?? Profile.empty());
    }
    if (!written.manifest) throw new Error('internal: the run ended without writing its outputs');
    return { manifest: written.manifest, lines };
  } catch (e) {
    out.discard();
    throw e;
  } finally {
    db?.close();
    state?.close();
    if (remoteOut) fs.rmSync(localOut, { recursive: true, force: true });
  }
}

/** What identifies the run's inputs: their names, content hashes and sizes. */
function fileKeys(files: InputFile[], hashes: { sha256: string; bytes: number }[]): ConsumedInput[] {
  return files.map((f, i) => ({ file: f.name, sha256: hashes[i]!.sha256, bytes: hashes[i]!.bytes }));
}

/** --engine snowflake: the one table rated in Snowflake, standing in for a fetched file in what follows. */
async function pushdown(ruleset: RulesetIR, inputArgs: string[], opts: RunOptions, say: (m: string) => void): Promise<{ result: PushdownResult; fetched: RunInputs }> {
  if (inputArgs.length !== 1 || !inputArgs[0]!.toLowerCase().startsWith('snowflake://')) {
    throw new UsageError('--engine snowflake rates one Snowflake table: give a single snowflake://CONNECTION/DB.SCHEMA.TABLE input');
  }
  if (opts.ratedEvents || ruleset.outputs.ratedEvents) throw new UsageError('--engine snowflake cannot write rated-events.parquet: the events stay in Snowflake', 'run without --rated-events (or without --engine snowflake)');
  say(`rating ${inputArgs[0]} in Snowflake`);
  const result = await rateInSnowflake(ruleset, inputArgs[0]!, opts.sources?.profile ?? Profile.empty(), {
    ...(opts.sources?.since ? { since: opts.sources.since } : {}),
    ...(opts.sources?.until ? { until: opts.sources.until } : {}),
  });
  const records = result.counts.files[0]!.rows_read;
  // No file exists (path ''): nothing reads it after rating; the manifest shows the format as "snowflake".
  const file: InputFile = { name: result.sourceName, path: '', format: 'snowflake' as InputFile['format'], compression: 'none', origin: { uri: result.sourceName, records } };
  return { result, fetched: { files: [file], offsets: [] } };
}

/** What export profiles render: the run's lines, and its ledger entries and top-ups when it keeps state. */
type ExportRecords = { lines: ChargeLine[]; entries?: Settlement['entries']; topUps?: Settlement['topUps'] };

/**
 * Export profiles (see src/io/exports): the same lines in the import shape of a billing or ERP system, keyed by
 * line id so a repeated import upserts instead of duplicating. Profiles and enrichment are loaded, and the lines
 * rendered once, before the state is touched: a typo or an account missing from the enrichment table fails the
 * run with nothing recorded. The files are rendered again after the wallet step, which sets what each line owes.
 */
async function prepareExports(exports: NonNullable<RunOptions['exports']>, rated: ChargeLine[], ruleset: RulesetIR): Promise<(records: ExportRecords, id: string, out: OutputDir) => string[]> {
  const { resolveExportProfile } = await import('../io/exports/registry.js');
  const { loadEnrichment } = await import('../io/exports/enrichment.js');
  const { renderExport } = await import('../io/exports/render.js');
  const profiles = exports.profiles.map((p) => resolveExportProfile(p));
  const names = new Set<string>();
  for (const p of profiles) {
    if (names.has(p.fileName) || ['charges.csv', 'rejects.csv', 'manifest.json', 'wallet-entries.csv', 'balances.csv', 'top-ups.csv'].includes(p.fileName)) throw new DataError(`two outputs would be written to ${p.fileName}`, 'give each export profile its own file name');
    names.add(p.fileName);
  }
  const prepared = profiles.map((profile) => {
    const table = profile.enrichment?.file ?? exports.enrichment;
    const enrichment = profile.enrichment && table ? loadEnrichment(table, profile.enrichment) : undefined;
    const render = (records: ExportRecords, id: string) => renderExport(profile, { ...records, runId: id, timezone: ruleset.timezone, ...(enrichment ? { enrichment } : {}) });
    // Entries and top-ups do not exist before the wallet step: the check covers the profile and the table's columns.
    render({ lines: rated }, 'check');
    return render;
  });
  return (records, id, out) => prepared.map((render) => {
    const rendered = render(records, id);
    fs.writeFileSync(out.file(rendered.fileName), rendered.text);
    return rendered.fileName;
  });
}

function stateSummary(file: string, s: Settlement, lines: ChargeLine[]): NonNullable<Manifest['state']> {
  const totals: NonNullable<Manifest['state']>['totals'] = {};
  const sums = new Map<string, [Decimal, Decimal, Decimal, number]>();
  for (const l of lines) {
    const t = sums.get(l.currency) ?? [dec(0), dec(0), dec(0), l.minorUnits];
    sums.set(l.currency, [t[0].plus(l.wallet!.coveredByCommitment), t[1].plus(l.wallet!.coveredByCredits), t[2].plus(l.wallet!.overage), t[3]]);
  }
  const held = lines.filter((l) => l.wallet!.held).length;
  for (const [cur, [c, cr, o, minor]] of sums) totals[cur] = { covered_by_commitment: c.toFixed(minor), covered_by_credits: cr.toFixed(minor), overage: o.toFixed(minor) };
  return {
    file, run_id: s.txnId, repeated: s.repeated, dry_run: s.dryRun, entries: s.entries.length, top_ups: s.topUps.length,
    held: held ? { credit_limit_exceeded: held } : {}, totals,
  };
}


function buildManifest(ruleset: RulesetIR, files: InputFile[], counts: OutcomeCounts, hashes: { sha256: string; bytes: number }[], lines: ChargeLine[], timings: Record<string, number>): Manifest {
  const inputs = counts.files.map((c, i) => ({ ...c, format: files[i]!.format, bytes: hashes[i]!.bytes, sha256: hashes[i]!.sha256, ...(files[i]!.origin ? { origin: files[i]!.origin } : {}) }));
  const sum = (k: 'rows_read' | 'accepted' | 'rejected' | 'duplicates' | 'filtered') => inputs.reduce((n, c) => n + c[k], 0);
  const { totals, by_charge, top_accounts } = lineSums(lines);
  return {
    tally: TALLY_VERSION,
    ruleset: { name: ruleset.name, version: ruleset.version, file: ruleset.file, sha256: ruleset.hash },
    inputs,
    counts: { rows_read: sum('rows_read'), accepted: sum('accepted'), rejected: sum('rejected'), duplicates: sum('duplicates'), filtered: sum('filtered'), by_stage: counts.byStage, by_reason: counts.byReason },
    lines: lines.length,
    totals,
    by_charge,
    top_accounts,
    outputs: [],
    timings_ms: timings,
  };
}


export type { InputFile };

