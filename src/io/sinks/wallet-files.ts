/** The wallet side of a run's outputs: every ledger entry it made, the balances after it, and its top-ups to invoice. */
import fs from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Decimal } from '../../pricing/index.js';
import type { SettledEntry } from '../../run/settle.js';
import type { BalanceRow } from '../../state/operations.js';
import type { TopUp } from '../../wallet/types.js';

import { moneyText } from '../../ruleset/currencies.js';

/** An amount with at least its currency's minor units (12.5 USD → 12.50), never rounded. */
const money = (d: Decimal | null, currency: string | null) => (d === null ? '' : currency ? moneyText(d, currency) : d.toFixed());

export function writeEntries(file: string, entries: readonly SettledEntry[]): void {
  const header = ['entry_id', 'type', 'at', 'account_id', 'wallet_id', 'grant_id', 'commitment_id', 'line_id', 'amount', 'currency', 'fiat_amount', 'fiat_currency'];
  const rows = entries.map((e) => [e.entryId, e.type, e.at, e.account, e.wallet ?? '', e.grant ?? '', e.commitment ?? '', e.lineId ?? '', money(e.amount, e.currency), e.currency, money(e.fiatAmount, e.fiatCurrency), e.fiatCurrency ?? '']);
  fs.writeFileSync(file, stringify([header, ...rows]));
}

export function writeBalances(file: string, balances: readonly BalanceRow[]): void {
  const header = ['kind', 'id', 'account_id', 'currency', 'balance', 'available', 'overdraft_used'];
  fs.writeFileSync(file, stringify([header, ...balances.map((b) => [b.kind, b.id, b.account, b.currency, money(b.balance, b.currency), money(b.available, b.currency), money(b.overdraft_used, b.currency)])]));
}

export function writeTopUps(file: string, topUps: readonly TopUp[]): void {
  const header = ['grant_id', 'wallet_id', 'account_id', 'at', 'amount', 'currency', 'triggered_by_line'];
  fs.writeFileSync(file, stringify([header, ...topUps.map((t) => [t.grant.id, t.grant.wallet, t.account, t.grant.effectiveAt, money(t.grant.amount, t.currency), t.currency, t.lineId])]));
}
