/** What the state commands do (their definitions are in state-commands.ts). Each returns an exit code. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { dec, type Decimal } from '../../pricing/index.js';
import { sqlText, StateStore } from '../../state/store.js';
import { addCommitment, addGrants, balances, createWallet, nowInstant, parseAmount, setAccounts, setRate, verifyState, voidGrant, type GrantRequest } from '../../state/operations.js';
import { closeStatePeriod } from '../../state/close-period.js';
import { addContract, loadContracts, type ContractTerms } from '../../state/contracts.js';
import { OutputDir } from '../../io/sinks/output-dir.js';
import { writeBalances, writeEntries } from '../../io/sinks/wallet-files.js';
import { InstantError, instant } from '../../wallet/instant.js';
import { GRANT_KINDS, ORDER_KEYS, type GrantKind, type OrderKey, type Restriction, type Wallet } from '../../wallet/types.js';
import { DataError, EXIT, UsageError } from '../errors.js';
import { stateFile } from './state-file.js';
import { loadRuleset } from './load-ruleset.js';
import { applyDeclared, persistDeclared, readAccountsFile } from '../../run/declared-position.js';

type Opts = Record<string, unknown>;

async function withState<T>(opts: Opts, fn: (store: StateStore) => Promise<T>, mode: 'create' | 'existing' | 'scratch' = 'create'): Promise<T> {
  const store = await StateStore.open(stateFile(opts.state), mode);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

function time(text: unknown, what: string): string {
  try {
    return instant(String(text), what);
  } catch (e) {
    if (e instanceof InstantError) throw new UsageError(e.message);
    throw e;
  }
}

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function integer(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${what} must be a whole number (got ${String(v)})`);
  return n;
}

function print(rows: Record<string, string>[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (!rows.length) {
    process.stdout.write('(nothing)\n');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[line(cols), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join('\n')}\n`);
}

export async function walletCreate(id: string, opts: Opts): Promise<number> {
  const currency = String(opts.currency);
  const amount = (v: unknown, what: string) => parseAmount(String(v), what, currency, { nonNegative: true });
  const order = list(opts.order) ?? [];
  for (const k of order) if (!ORDER_KEYS.includes(k as OrderKey)) throw new UsageError(`--order: "${k}" is not one of ${ORDER_KEYS.join(', ')}`);
  const dimensions: Record<string, string[]> = {};
  for (const d of (opts.dimension as string[] | undefined) ?? []) {
    const [name, values] = d.split('=');
    if (!name || !values) throw new UsageError(`--dimension ${d}: write name=value1,value2`);
    dimensions[name] = values.split(',');
  }
  const appliesTo: Restriction = {
    ...(list(opts.charges) ? { charges: list(opts.charges)! } : {}),
    ...(list(opts.meters) ? { meters: list(opts.meters)! } : {}),
    ...(Object.keys(dimensions).length ? { dimensions } : {}),
  };
  const childCaps: Record<string, Decimal> = {};
  for (const c of (opts.childCapFor as string[] | undefined) ?? []) {
    const [acc, v] = c.split('=');
    if (!acc || !v) throw new UsageError(`--child-cap-for ${c}: write account=amount`);
    childCaps[acc] = amount(v, `--child-cap-for ${acc}`);
  }
  let topUp: Wallet['topUp'] = null;
  if (opts.topUpBelow !== undefined) {
    if ((opts.topUpAmount === undefined) === (opts.topUpTo === undefined)) throw new UsageError('--top-up-below needs one of --top-up-amount or --top-up-to');
    topUp = {
      threshold: amount(opts.topUpBelow, '--top-up-below'),
      mode: opts.topUpTo !== undefined ? 'target' : 'fixed',
      amount: amount(opts.topUpTo ?? opts.topUpAmount, opts.topUpTo !== undefined ? '--top-up-to' : '--top-up-amount'),
      maxPerPeriod: integer(opts.topUpMax, '--top-up-max'),
    };
  }
  const w: Wallet = {
    id, account: String(opts.account), currency, pool: opts.pool === true, priority: integer(opts.priority, '--priority'),
    order: order as OrderKey[], overdraftLimit: amount(opts.overdraftLimit, '--overdraft-limit'), onLimit: opts.holdAtLimit === true ? 'hold' : 'overage',
    appliesTo: Object.keys(appliesTo).length ? appliesTo : null, childCap: opts.childCap === undefined ? null : amount(opts.childCap, '--child-cap'), childCaps, topUp,
  };
  await withState(opts, (s) => createWallet(s, w));
  process.stdout.write(`wallet ${id} created for ${w.account} (${currency})\n`);
  return EXIT.ok;
}

export async function walletGrant(account: string, opts: Opts): Promise<number> {
  const req: GrantRequest = {
    account, amount: String(opts.amount), kind: opts.kind as GrantKind, priority: integer(opts.priority, '--priority'),
    effectiveAt: opts.effective ? time(opts.effective, '--effective') : time('1970-01-01', 'default'),
    expiresAt: opts.expires ? time(opts.expires, '--expires') : null,
    ...(opts.wallet ? { wallet: String(opts.wallet) } : {}),
    ...(opts.currency ? { currency: String(opts.currency) } : {}),
    ...(opts.id ? { id: String(opts.id) } : {}),
    ...(opts.costBasis ? { costBasis: String(opts.costBasis) } : {}),
  };
  const [g] = await withState(opts, (s) => addGrants(s, [req], 'command'));
  process.stdout.write(`grant ${g!.id}: ${g!.amount.toFixed()} into wallet ${g!.wallet}\n`);
  return EXIT.ok;
}

/** Rows of a CSV file with their line numbers; a file that cannot be parsed is a DataError naming the line. */
function readCsv(file: string): { line: number; row: Record<string, string> }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError(`cannot read ${file}`, 'check the path');
  }
  try {
    const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as { record: Record<string, string>; info: { lines: number } }[];
    return records.map((r) => ({ line: r.info.lines, row: r.record }));
  } catch (e) {
    throw new DataError(`${file}: ${e instanceof Error ? e.message : String(e)}`, 'fix the CSV (a header line, then one row per line)');
  }
}

export async function walletImport(file: string, opts: Opts): Promise<number> {
  const rows = readCsv(file);
  const reqs: GrantRequest[] = rows.map(({ line, row }) => {
    const at = `${file}:${line}: `;
    if (!row.account_id || !row.amount) throw new UsageError(`${at}account_id and amount are required`, 'the header needs account_id,amount and optionally wallet_id,currency,kind,priority,effective_at,expires_at,cost_basis,grant_id');
    const kind = (row.kind || 'purchased') as GrantKind;
    if (!GRANT_KINDS.includes(kind)) throw new UsageError(`${at}kind "${row.kind}" is not one of ${GRANT_KINDS.join(', ')}`);
    return {
      account: row.account_id, amount: row.amount, kind, priority: row.priority ? integer(row.priority, `${at}priority`) : 0,
      effectiveAt: time(row.effective_at || '1970-01-01', `${at}effective_at`), expiresAt: row.expires_at ? time(row.expires_at, `${at}expires_at`) : null,
      ...(row.wallet_id ? { wallet: row.wallet_id } : {}), ...(row.currency ? { currency: row.currency } : {}),
      ...(row.grant_id ? { id: row.grant_id } : {}), ...(row.cost_basis ? { costBasis: row.cost_basis } : {}),
    };
  });
  const grants = await withState(opts, (s) => addGrants(s, reqs, `import:${file}`, (i) => `${file}:${rows[i]!.line}: `));
  process.stdout.write(`${grants.length} grants imported from ${file}\n`);
  return EXIT.ok;
}

export async function walletBalance(account: string | undefined, opts: Opts): Promise<number> {
  const at = opts.at ? time(opts.at, '--at') : null;
  const rows = await withState(opts, (s) => balances(s, account ?? null, at), 'existing');
  print(rows.map((r) => ({ kind: r.kind, id: r.id, account: r.account, currency: r.currency, balance: r.balance.toFixed(), available: r.available.toFixed(), overdraft_used: r.overdraft_used.toFixed() })), opts.json === true);
  return EXIT.ok;
}

export async function walletLedger(account: string, opts: Opts): Promise<number> {
  const q = sqlText(account);
  const entries = await withState(opts, (s) => s.entries(`account_id = ${q} OR wallet_id IN (SELECT wallet_id FROM wallets WHERE account_id = ${q}) OR commitment_id IN (SELECT commitment_id FROM commitments WHERE account_id = ${q})`), 'existing');
  print(entries.map((e) => ({
    entry: e.entryId, type: e.type, at: e.at, account: e.account, wallet: e.wallet ?? '', grant: e.grant ?? '', commitment: e.commitment ?? '',
    line: e.lineId ?? '', amount: e.amount.toFixed(), currency: e.currency, fiat: e.fiatAmount ? `${e.fiatAmount.toFixed()} ${e.fiatCurrency}` : '',
  })), opts.json === true);
  return EXIT.ok;
}

export async function walletVoid(grant: string, opts: Opts): Promise<number> {
  const left = await withState(opts, (s) => voidGrant(s, grant, opts.at ? time(opts.at, '--at') : nowInstant()));
  process.stdout.write(`grant ${grant}: ${left.toFixed()} voided\n`);
  return EXIT.ok;
}

export async function walletRate(currency: string, fiat: string, rate: string, opts: Opts): Promise<number> {
  const r = parseAmount(rate, 'rate', 'virtual', { positive: true });
  await withState(opts, (s) => setRate(s, currency, fiat, r, time(opts.from ?? '1970-01-01', '--from')));
  process.stdout.write(`1 ${currency} = ${r.toFixed()} ${fiat}\n`);
  return EXIT.ok;
}

export async function walletVerify(opts: Opts): Promise<number> {
  const problems = await withState(opts, (s) => verifyState(s), 'existing');
  if (problems.length) {
    process.stderr.write(`tally: the ledger and the balances disagree:\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return EXIT.failure;
  }
  process.stdout.write('every balance agrees with the ledger\n');
  return EXIT.ok;
}

export async function commitAdd(account: string, opts: Opts): Promise<number> {
  const currency = String(opts.currency);
  const start = time(opts.start, '--start');
  const kind = opts.kind as 'prepaid' | 'minimum';
  const fraction = parseAmount(String(opts.rollover), '--rollover', 'fraction', { nonNegative: true });
  if (fraction.gt(1)) throw new UsageError('--rollover is a fraction between 0 and 1');
  const charges = list(opts.charges);
  const id = opts.id ? String(opts.id) : `${account}-${kind}-${start.slice(0, 10)}`;
  await withState(opts, (s) => addCommitment(s, {
    id, account, kind, amount: parseAmount(String(opts.amount), '--amount', currency, { positive: true }), currency, start, end: time(opts.end, '--end'),
    appliesTo: charges ? { charges } : null, rolloverFraction: fraction,
  }));
  process.stdout.write(`commitment ${id} added\n`);
  return EXIT.ok;
}

export async function commitList(account: string | undefined, opts: Opts): Promise<number> {
  const rows = await withState(opts, async (s) => {
    const pos = await s.loadPosition();
    return [...pos.commitments.values()].filter((c) => !account || c.account === account).map((c) => ({
      id: c.id, account: c.account, kind: c.kind, amount: c.amount.toFixed(), currency: c.currency, start: c.start, end: c.end,
      remaining: c.kind === 'prepaid' ? pos.commitmentRemaining.get(c.id)!.toFixed() : '', charges: c.appliesTo?.charges?.join(',') ?? '(all)',
    }));
  }, 'existing');
  print(rows, opts.json === true);
  return EXIT.ok;
}

export async function accountSet(id: string, opts: Opts): Promise<number> {
  await withState(opts, (s) => setAccounts(s, [{ id, parent: opts.parent ? String(opts.parent) : null, currency: opts.currency ? String(opts.currency) : null }]));
  process.stdout.write(`account ${id} set\n`);
  return EXIT.ok;
}

export async function accountImport(file: string, opts: Opts): Promise<number> {
  if (!fs.existsSync(file)) throw new DataError(`cannot read ${file}`, 'check the path');
  const accounts = await withState(opts, async (s) => {
    const list = await readAccountsFile(s, path.resolve(file));
    await setAccounts(s, list);
    return list;
  });
  process.stdout.write(`${accounts.length} accounts imported from ${file}\n`);
  return EXIT.ok;
}

export async function closeCommand(period: string, opts: Opts): Promise<number> {
  const outcome = await withState(opts, async (s) => {
    const out = new OutputDir(String(opts.out));
    try {
      const o = await closeStatePeriod(s, period, { allowMissingRuns: opts.allowMissingRuns === true, dryRun: opts.dryRun === true });
      fs.writeFileSync(out.file('true-ups.csv'), stringify([
        ['line_id', 'account_id', 'period', 'charge', 'commitment_id', 'minimum', 'spend', 'amount', 'currency'],
        ...o.trueUps.map((t) => [t.lineId, t.account, t.period, 'minimum_commitment_true_up', t.commitment, t.minimum.toFixed(), t.spend.toFixed(), t.amount.toFixed(), t.currency]),
      ]));
      fs.writeFileSync(out.file('breakage.csv'), stringify([
        ['account_id', 'grant_id', 'commitment_id', 'at', 'amount', 'currency'],
        ...o.breakage.map((b) => [b.account, b.grant ?? '', b.commitment ?? '', b.at, b.amount.toFixed(), b.currency]),
      ]));
      writeEntries(out.file('wallet-entries.csv'), o.entries);
      writeBalances(out.file('balances.csv'), o.balances);
      out.commit();
      return o;
    } catch (e) {
      out.discard();
      throw e;
    }
  }, 'existing');
  const sum = (xs: { amount: Decimal }[]) => xs.reduce((a, x) => a.plus(x.amount), dec(0)).toFixed();
  process.stdout.write(`${outcome.repeated ? 'already closed; outputs rewritten: ' : ''}period ${period} [${outcome.period.start}, ${outcome.period.end}): ` +
    `${outcome.trueUps.length} true-ups (${sum(outcome.trueUps)}), breakage ${sum(outcome.breakage)}${opts.dryRun ? ' (dry run: state unchanged)' : ''} → ${String(opts.out)}\n`);
  return EXIT.ok;
}

export async function syncCommand(rulesetFile: string, opts: Opts): Promise<number> {
  const ruleset = loadRuleset(rulesetFile);
  const summary = await withState(opts, async (s) => {
    const fileAccounts = ruleset.position.accountsFile ? await readAccountsFile(s, ruleset.position.accountsFile) : [];
    const pos = await s.loadPosition();
    const changes = applyDeclared(pos, ruleset, fileAccounts);
    const n = changes.wallets.length + changes.commitments.length;
    if (n + changes.accounts.length === 0) return changes;
    const txn = `sync:${ruleset.name}:${(await s.rows('SELECT count(*) FROM txns'))[0]![0]}`;
    await s.transaction(async () => {
      await persistDeclared(s, changes, `ruleset:${ruleset.name}`);
      await s.recordTxn(txn, 'sync', { wallets: changes.wallets.map((w) => w.id), commitments: changes.commitments.map((c) => c.id) }, { name: ruleset.name, sha256: ruleset.hash });
      await s.appendEntries(txn, changes.entries);
    });
    await s.checkpoint();
    return changes;
  });
  process.stdout.write(`${summary.accounts.length} accounts, ${summary.wallets.length} new or changed wallets, ${summary.commitments.length} new commitments from ${rulesetFile}\n`);
  return EXIT.ok;
}

const DECIMAL = /^\d+(\.\d+)?$/;

export async function contractSet(account: string, opts: Opts): Promise<number> {
  const from = time(opts.from, '--from');
  const terms: ContractTerms = { charge: String(opts.charge), account, effective_from: String(opts.from) };
  const decimal = (key: string, flag: string) => {
    if (opts[key] === undefined) return;
    if (!DECIMAL.test(String(opts[key]))) throw new UsageError(`${flag}: "${String(opts[key])}" is not a decimal number`, 'write it like 0.80');
    return String(opts[key]);
  };
  for (const [key, flag, param] of [['unitPrice', '--unit-price', 'unit_price'], ['amount', '--amount', 'amount'], ['packagePrice', '--package-price', 'package_price'], ['discount', '--discount', 'discount'], ['uplift', '--uplift', 'uplift']] as const) {
    const v = decimal(key, flag);
    if (v !== undefined) terms[param] = v;
  }
  if (typeof opts.tiers === 'string') {
    terms.tiers = opts.tiers.split(',').map((t, i, all) => {
      const [upTo, price] = t.split(':');
      if (price === undefined || !DECIMAL.test(price) || (upTo !== '' && !DECIMAL.test(upTo!)) || (upTo === '' && i !== all.length - 1)) {
        throw new UsageError(`--tiers: "${t}" is not up_to:unit_price (only the last tier leaves up_to empty)`, 'write it like "100:0.80,:0.40"');
      }
      return upTo === '' ? { unit_price: price } : { up_to: upTo, unit_price: price };
    });
  }
  if (Object.keys(terms).length === 3) throw new UsageError('give the terms: --unit-price, --amount, --package-price, --tiers, --discount or --uplift');
  await withState(opts, (s) => addContract(s, terms, from));
  process.stdout.write(`${account}: terms for ${terms.charge} from ${terms.effective_from} set; runs and re-rates use them\n`);
  return EXIT.ok;
}

export async function contractList(account: string | undefined, opts: Opts): Promise<number> {
  const all = await withState(opts, (s) => loadContracts(s), 'existing');
  print(all.filter((c) => !account || c.account === account).map(({ account: a, charge, effective_from, ...rest }) => ({ account: a, charge, from: effective_from, terms: JSON.stringify(rest) })), opts.json === true);
  return EXIT.ok;
}
