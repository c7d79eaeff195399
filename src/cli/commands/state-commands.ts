/**
 * `tally wallet …`, `tally commit …`, `tally account …` and `tally close`: the commands that manage the state
 * file. Only their definitions live here; what they do is imported when one runs (start-up stays fast).
 */
import { Command, Option } from 'commander';
import { GRANT_KINDS, ORDER_KEYS } from '../../wallet/types.js';

const collect = (v: string, all: string[] = []) => [...all, v];
const STATE_HELP = 'state file (default: $TALLY_STATE or ./tally-state.duckdb)';

export function registerStateCommands(program: Command, set: (code: number) => void): void {
  const act = (name: keyof typeof import('./state-actions.js')) =>
    async (...args: unknown[]) => {
      const actions = await import('./state-actions.js');
      const fn = actions[name] as (...a: unknown[]) => Promise<number>;
      set(await fn(...args.slice(0, -1)));
    };

  const wallet = program.command('wallet').description('wallets and credit grants in the state file');
  wallet
    .command('create')
    .description('create a wallet (a default wallet per account is made by the first grant)')
    .argument('<wallet>', 'wallet id')
    .requiredOption('--account <id>', 'owning account')
    .option('--currency <code>', 'fiat code (USD) or a virtual currency (credits)', 'USD')
    .option('--pool', 'a pool: descendant accounts of the owner draw from it too')
    .option('--priority <n>', 'order among the account\'s own wallets, lower first', '0')
    .addOption(new Option('--order <keys>', `draw-down order, comma-separated keys of ${ORDER_KEYS.join(', ')}`).default('priority,expiry,kind,age'))
    .option('--overdraft-limit <amount>', 'how far the wallet may go below zero', '0')
    .option('--hold-at-limit', 'past the overdraft limit, hold the whole line (credit_limit_exceeded) instead of billing the rest as overage')
    .option('--charges <names>', 'only pay these charges (comma-separated)')
    .option('--meters <names>', 'only pay lines of these meters (comma-separated)')
    .option('--dimension <name=v1,v2>', 'only pay lines whose dimension has one of these values (repeatable)', collect)
    .option('--child-cap <amount>', 'pools: what one child account may draw per billing period')
    .option('--child-cap-for <account=amount>', 'pools: the cap of one child (repeatable)', collect)
    .option('--top-up-below <amount>', 'top up when the available balance falls below this')
    .option('--top-up-amount <amount>', 'add this much at each top-up')
    .option('--top-up-to <amount>', 'top up to this balance (instead of a fixed amount)')
    .option('--top-up-max <n>', 'at most this many top-ups per billing period', '1')
    .option('--state <file>', STATE_HELP)
    .action(act('walletCreate'));
  wallet
    .command('grant')
    .description('add a credit grant to an account\'s wallet')
    .argument('<account>', 'account')
    .requiredOption('--amount <amount>', 'amount, in the wallet\'s currency')
    .option('--wallet <id>', 'wallet (default: the account\'s default wallet, created when absent)')
    .option('--currency <code>', 'currency of a default wallet created by this grant (default: the account\'s, or USD)')
    .addOption(new Option('--kind <kind>', 'kind of grant').choices([...GRANT_KINDS]).default('purchased'))
    .option('--priority <n>', 'draw-down priority, lower first', '0')
    .option('--effective <time>', 'from when it can be used (default 1970-01-01)')
    .option('--expires <time>', 'when it expires (exclusive)')
    .option('--cost-basis <amount>', 'what the customer paid for it')
    .option('--id <id>', 'grant id (default: grant-NNNNNN)')
    .option('--state <file>', STATE_HELP)
    .action(act('walletGrant'));
  wallet
    .command('import')
    .description('add grants from a CSV file (account_id, amount, and optionally wallet_id, currency, kind, priority, effective_at, expires_at, cost_basis, grant_id), all or none')
    .argument('<file>', 'CSV file')
    .option('--state <file>', STATE_HELP)
    .action(act('walletImport'));
  wallet
    .command('balance')
    .description('balances of wallets and prepaid commitments')
    .argument('[account]', 'only this account')
    .option('--at <time>', 'as of this instant (default: now)')
    .option('--json', 'print JSON')
    .option('--state <file>', STATE_HELP)
    .action(act('walletBalance'));
  wallet
    .command('ledger')
    .description('every ledger entry of an account, oldest first')
    .argument('<account>', 'account')
    .option('--json', 'print JSON')
    .option('--state <file>', STATE_HELP)
    .action(act('walletLedger'));
  wallet
    .command('void')
    .description('void what is left of a grant (a reversing entry; nothing is deleted)')
    .argument('<grant>', 'grant id')
    .option('--at <time>', 'when the void takes effect (default: now)')
    .option('--state <file>', STATE_HELP)
    .action(act('walletVoid'));
  wallet
    .command('rate')
    .description('the value of a virtual currency in a fiat currency, from a given time')
    .argument('<currency>', 'virtual currency, e.g. credits')
    .argument('<fiat>', 'fiat currency, e.g. USD')
    .argument('<rate>', 'fiat per unit, e.g. 0.01')
    .option('--from <time>', 'effective from (default 1970-01-01)')
    .option('--state <file>', STATE_HELP)
    .action(act('walletRate'));
  wallet
    .command('verify')
    .description('recompute every balance from the ledger; exit 1 on any difference')
    .option('--state <file>', STATE_HELP)
    .action(act('walletVerify'));

  const commit = program.command('commit').description('prepaid and minimum-spend commitments');
  commit
    .command('add')
    .description('add a commitment to an account')
    .argument('<account>', 'account')
    .addOption(new Option('--kind <kind>', 'prepaid: drawn before wallets; minimum: spend below it is trued up at close').choices(['prepaid', 'minimum']).makeOptionMandatory())
    .requiredOption('--amount <amount>', 'prepaid: the amount for the term; minimum: the minimum per billing period')
    .requiredOption('--start <time>', 'start of the term (inclusive)')
    .requiredOption('--end <time>', 'end of the term (exclusive)')
    .option('--currency <code>', 'currency', 'USD')
    .option('--rollover <fraction>', 'prepaid: fraction of the remainder carried into the next term', '0')
    .option('--charges <names>', 'only these charges (comma-separated)')
    .option('--id <id>', 'commitment id (default: ACCOUNT-KIND-START)')
    .option('--state <file>', STATE_HELP)
    .action(act('commitAdd'));
  commit
    .command('list')
    .description('commitments and what is left of them')
    .argument('[account]', 'only this account')
    .option('--json', 'print JSON')
    .option('--state <file>', STATE_HELP)
    .action(act('commitList'));

  const contract = program.command('contract').description('per-account contract terms kept in the state file (rate-card overrides, discounts, amendments)');
  contract
    .command('set')
    .description('give an account its own terms for a charge from an instant on (an amendment is a later one)')
    .argument('<account>', 'account')
    .requiredOption('--charge <name>', 'the charge the terms are for')
    .requiredOption('--from <time>', 'when the terms take effect (an amendment mid-period splits the period there)')
    .option('--unit-price <price>', 'unit price (unit, matrix default)')
    .option('--amount <amount>', 'flat fee per period (flat)')
    .option('--package-price <price>', 'price per package (package)')
    .option('--tiers <tiers>', 'tier table, e.g. "100:0.80,:0.40" (up_to:unit_price, the last without up_to)')
    .option('--discount <fraction>', 'fraction off every price of the terms, e.g. 0.15')
    .option('--uplift <fraction>', 'fraction added to every price of the terms, e.g. 0.10')
    .option('--state <file>', STATE_HELP)
    .action(act('contractSet'));
  contract
    .command('list')
    .description('contract terms in the state file')
    .argument('[account]', 'only this account')
    .option('--json', 'print JSON')
    .option('--state <file>', STATE_HELP)
    .action(act('contractList'));

  const account = program.command('account').description('accounts and their hierarchy');
  account
    .command('set')
    .description('add or change an account')
    .argument('<account>', 'account id')
    .option('--parent <account>', 'parent account (enterprise hierarchy, partner channel)')
    .option('--currency <code>', 'currency of the account')
    .option('--state <file>', STATE_HELP)
    .action(act('accountSet'));
  account
    .command('import')
    .description('add or change accounts from a CSV or Parquet file (account_id, and optionally parent_id, currency)')
    .argument('<file>', 'CSV or Parquet file')
    .option('--state <file>', STATE_HELP)
    .action(act('accountImport'));

  program
    .command('sync')
    .description('write the accounts, wallets and commitments a ruleset declares into the state file (each run does it too)')
    .argument('<ruleset>', 'ruleset YAML file')
    .option('--state <file>', STATE_HELP)
    .action(act('syncCommand'));

  program
    .command('close')
    .description('period-end work: expiry and breakage, prepaid rollover, minimum-commitment true-ups')
    .argument('<period>', 'period label, as on the lines: 2026-10')
    .requiredOption('-o, --out <dir>', 'output folder (true-ups.csv, breakage.csv, wallet-entries.csv, balances.csv)')
    .option('--allow-missing-runs', 'close even when no run has rated the period')
    .option('--dry-run', 'compute and write the outputs, but change nothing in the state')
    .option('--state <file>', STATE_HELP)
    .action(act('closeCommand'));
}
