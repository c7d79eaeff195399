/** `tally rerate INPUT... --period P [--ruleset R] [--accounts a,b] [--mode pair|delta] --out DIR`. */
import { sourceOptions } from './source-options.js';
import fs from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { OutputDir } from '../../io/sinks/output-dir.js';
import { writeBalances, writeEntries, writeTopUps } from '../../io/sinks/wallet-files.js';
import { dec, type Decimal } from '../../pricing/index.js';
import { moneyText } from '../../ruleset/currencies.js';
import { rerate } from '../../run/rerate.js';
import { StateStore } from '../../state/store.js';
import { loadContracts } from '../../state/contracts.js';
import { DataError, EXIT, UsageError } from '../errors.js';
import { loadRulesetSource } from './load-ruleset.js';
import { stateFile } from './state-file.js';

const money = moneyText;

export async function rerateCommand(inputs: string[], opts: Record<string, unknown>): Promise<number> {
  const period = String(opts.period);
  const mode = (opts.mode ?? 'pair') as 'pair' | 'delta';
  const accounts = typeof opts.accounts === 'string' ? opts.accounts.split(',').map((a) => a.trim()).filter(Boolean) : null;
  const dryRun = opts.dryRun === true;
  const store = await StateStore.open(stateFile(opts.state), 'existing');
  try {
    let rulesetSpec = typeof opts.ruleset === 'string' ? opts.ruleset : null;
    if (!rulesetSpec) {
      // The ruleset the period's latest run used.
      const [row] = await store.rows(`SELECT json_extract_string(t.detail, '$.ruleset_file') FROM txns t
        WHERE t.kind = 'run' AND EXISTS (SELECT 1 FROM lines l WHERE l.txn_id = t.txn_id AND l.period = '${period.replace(/'/g, "''")}')
        ORDER BY t.recorded_at DESC LIMIT 1`);
      if (!row?.[0]) throw new UsageError(`no run has rated period ${period}, so there is no ruleset to re-rate it with`, 'name one with --ruleset');
      rulesetSpec = row[0];
      if (!fs.existsSync(rulesetSpec)) throw new DataError(`the ruleset the period was rated with, ${rulesetSpec}, is gone`, 'name one with --ruleset');
    }
    const contracts = await loadContracts(store);
    const ruleset = loadRulesetSource(rulesetSpec, contracts.length ? { extraContracts: contracts } : {});
    const out = new OutputDir(String(opts.out));
    try {
      const r = await rerate(store, ruleset, inputs, { period, accounts, mode, dryRun, sources: sourceOptions(opts) });
      fs.writeFileSync(out.file('adjustments.csv'), stringify([
        ['adjustment_id', 'kind', 'line_id', 'account_id', 'period', 'charge', 'dimension', 'amount', 'covered_by_commitment', 'covered_by_credits', 'overage', 'currency'],
        ...r.adjustments.map((a) => [a.adjustmentId, a.kind, a.lineId, a.account, a.period, a.charge, a.dimension, money(a.amount, a.currency), money(a.coveredByCommitment, a.currency),
          money(a.coveredByCredits, a.currency), money(a.overage, a.currency), a.currency]),
      ]));
      fs.writeFileSync(out.file('summary.csv'), stringify([
        ['account_id', 'charge', 'currency', 'billed_before', 'billed_after', 'change'],
        ...r.summary.map((s) => [s.account, s.charge, s.currency, money(s.old, s.currency), money(s.new, s.currency), money(s.new.minus(s.old), s.currency)]),
      ]));
      writeEntries(out.file('wallet-entries.csv'), r.entries);
      writeBalances(out.file('balances.csv'), r.balances);
      writeTopUps(out.file('top-ups.csv'), r.topUps);
      out.commit();
      const byCurrency = new Map<string, Decimal>();
      for (const s of r.summary) byCurrency.set(s.currency, (byCurrency.get(s.currency) ?? dec(0)).plus(s.new.minus(s.old)));
      const change = [...byCurrency].map(([cur, d]) => `${d.gt(0) ? '+' : ''}${money(d, cur)} ${cur}`).join(', ') || 'nothing';
      process.stdout.write(`${r.repeated ? `already re-rated as ${r.txnId}: nothing new in the state; outputs rewritten. ` : ''}period ${period}: ` +
        `${r.adjustments.length} adjustment lines, change ${change}${dryRun ? ' (dry run: state unchanged)' : ''} → ${String(opts.out)}\n`);
      return EXIT.ok;
    } catch (e) {
      out.discard();
      throw e;
    }
  } finally {
    store.close();
  }
}
