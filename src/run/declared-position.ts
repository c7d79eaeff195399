/**
 * The accounts, wallets and commitments a ruleset declares, brought into a run's position. New ones are
 * added (a prepaid commitment with the entry that funds it); a wallet's policy may change from run to run, its
 * account and currency may not; a commitment already in the state must be declared the same, since money has
 * moved against it (amend it under a new id).
 */
import { DataError } from '../cli/errors.js';
import type { Database } from '../engine/duckdb/database.js';
import { quoteString } from '../engine/duckdb/sql-types.js';
import type { RulesetIR } from '../ruleset/ir.js';
import type { Position } from '../wallet/position.js';
import type { Account, Commitment, Entry, Wallet } from '../wallet/types.js';
import type { StateStore } from '../state/store.js';

export interface DeclaredChanges {
  accounts: Account[];
  wallets: Wallet[];
  commitments: Commitment[];
  entries: Entry[];
}

/** Accounts of the ruleset's accounts file (CSV or Parquet), read through a DuckDB connection (the run's, or the state's). */
export async function readAccountsFile(db: Pick<Database, 'rows'>, file: string): Promise<Account[]> {
  const reader = file.endsWith('.parquet') ? `read_parquet(${quoteString(file)})` : `read_csv(${quoteString(file)}, header = true, all_varchar = true)`;
  let columns: string[];
  try {
    columns = (await db.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`)).map((r) => String(r[0]));
  } catch (e) {
    throw new DataError(`cannot read the accounts file ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'check accounts.file in the ruleset');
  }
  if (!columns.includes('account_id')) throw new DataError(`the accounts file ${file} has no account_id column (it has ${columns.join(', ')})`, 'name the columns account_id, parent_id, currency');
  const col = (c: string) => (columns.includes(c) ? `CAST(${c} AS VARCHAR)` : 'NULL');
  const rows = await db.rows(`SELECT CAST(account_id AS VARCHAR), ${col('parent_id')}, ${col('currency')} FROM ${reader}`);
  return rows.map(([id, parent, currency], i) => {
    if (!id) throw new DataError(`${file}: row ${i + 1} has no account_id`);
    return { id: String(id), parent: parent ? String(parent) : null, currency: currency ? String(currency) : null };
  });
}

export function applyDeclared(pos: Position, ruleset: RulesetIR, fileAccounts: readonly Account[]): DeclaredChanges {
  const declared = ruleset.position;
  const accounts = [...fileAccounts, ...declared.accounts];
  for (const a of accounts) pos.accounts.set(a.id, a);
  for (const a of accounts) {
    const seen = new Set([a.id]);
    for (let p = a.parent; p !== null; p = pos.accounts.get(p)?.parent ?? null) {
      if (seen.has(p)) throw new DataError(`account ${a.id}: parent ${a.parent} makes a cycle in the hierarchy`, 'fix the accounts in the ruleset (or its accounts file)');
      seen.add(p);
    }
  }

  const wallets: Wallet[] = [];
  for (const w of declared.wallets) {
    const existing = pos.wallets.get(w.id);
    if (existing && (existing.account !== w.account || existing.currency !== w.currency)) {
      throw new DataError(`wallet ${w.id} in the ruleset belongs to ${w.account} in ${w.currency}, but the state has it for ${existing.account} in ${existing.currency}`, 'a wallet never changes owner or currency; declare a new wallet id');
    }
    if (!existing || canonical(existing) !== canonical(w)) {
      pos.addWallet(w);
      wallets.push(w);
    }
  }

  const commitments: Commitment[] = [];
  const entries: Entry[] = [];
  for (const c of declared.commitments) {
    const existing = pos.commitments.get(c.id);
    if (existing) {
      if (canonical(existing) !== canonical(c)) throw new DataError(`commitment ${c.id} in the ruleset differs from the one in the state`, 'commitments are never changed in place; declare the amended terms under a new id');
      continue;
    }
    pos.addCommitment(c);
    commitments.push(c);
    if (c.kind === 'prepaid') {
      const e: Entry = { type: 'commitment', at: c.start, account: c.account, wallet: null, grant: null, commitment: c.id, lineId: null, periodStart: null, amount: c.amount, currency: c.currency, fiatAmount: null, fiatCurrency: null };
      pos.applyEntry(e);
      entries.push(e);
    }
  }
  return { accounts, wallets, commitments, entries };
}

/** A definition as text, decimals by value (1.50 = 1.5), to tell whether two declarations say the same. */
const canonical = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (v && typeof v === 'object' && 'toFixed' in v ? (v as { toFixed(): string }).toFixed() : v));

/** Writes what applyDeclared added (call inside the transaction that also records its entries). */
export async function persistDeclared(store: StateStore, changes: DeclaredChanges, origin: string): Promise<void> {
  for (const a of changes.accounts) await store.upsertAccount(a);
  for (const w of changes.wallets) await store.insertWallet(w);
  for (const c of changes.commitments) await store.insertCommitment(c, origin);
}
