/**
 * Contract terms kept in the state file (`tally contract set`), for terms negotiated per customer that should
 * not live in the rate card's repository. Each is one top-level `contracts` entry of a ruleset (charge, account,
 * effective_from, and overrides, a discount or an uplift); runs and re-rates compile them into the ruleset,
 * so they count in its hash like terms written in it. Terms are never changed: an amendment is a new entry
 * from a later instant.
 */
import { UsageError } from '../cli/errors.js';
import { sqlText as q, type StateStore } from './store.js';

export type ContractTerms = Record<string, unknown> & { charge: string; account: string; effective_from: string };

export async function addContract(store: StateStore, terms: ContractTerms, effectiveAt: string): Promise<void> {
  const existing = await store.rows(`SELECT 1 FROM contracts WHERE account_id = ${q(terms.account)} AND charge = ${q(terms.charge)} AND effective_from = TIMESTAMP '${effectiveAt}'`);
  if (existing.length) throw new UsageError(`${terms.account} already has terms for ${terms.charge} from ${terms.effective_from}`, 'terms are never changed: amend them from a later instant');
  const txn = `contract:${terms.account}:${terms.charge}:${effectiveAt}`;
  await store.transaction(async () => {
    await store.appendRows('contracts', [[terms.account, terms.charge, effectiveAt, JSON.stringify(terms), txn]]);
    await store.recordTxn(txn, 'contract', terms);
  });
  await store.checkpoint();
}

/** Every stored term, in account, charge and time order. */
export async function loadContracts(store: StateStore): Promise<ContractTerms[]> {
  return (await store.rows(`SELECT terms FROM contracts ORDER BY account_id, charge, effective_from`)).map((r) => JSON.parse(r[0]!) as ContractTerms);
}
