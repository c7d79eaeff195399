/**
 * The state schema, as numbered migrations run on open (never inside a run). Each runs in the transaction
 * that records its number, so a state file is always at one version. Amounts are DECIMAL(38, 12); instants
 * are UTC TIMESTAMPs (microseconds); anything structured (restrictions, top-up rules) is JSON text.
 *
 * Add a migration at the end; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the credit position, the ledger, and what runs consumed and emitted.
  `
  CREATE TABLE accounts (account_id VARCHAR PRIMARY KEY, parent_id VARCHAR, currency VARCHAR);
  CREATE TABLE wallets (
    wallet_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, currency VARCHAR NOT NULL, pool BOOLEAN NOT NULL,
    priority INTEGER NOT NULL, draw_order VARCHAR NOT NULL, overdraft_limit DECIMAL(38, 12) NOT NULL, on_limit VARCHAR NOT NULL,
    applies_to VARCHAR, child_cap DECIMAL(38, 12), child_caps VARCHAR NOT NULL, top_up VARCHAR);
  CREATE TABLE grants (
    grant_id VARCHAR PRIMARY KEY, wallet_id VARCHAR NOT NULL, amount DECIMAL(38, 12) NOT NULL, kind VARCHAR NOT NULL,
    priority INTEGER NOT NULL, effective_at TIMESTAMP NOT NULL, expires_at TIMESTAMP, cost_basis DECIMAL(38, 12),
    origin VARCHAR NOT NULL);
  CREATE TABLE rates (currency VARCHAR NOT NULL, fiat VARCHAR NOT NULL, rate DECIMAL(38, 12) NOT NULL, effective_at TIMESTAMP NOT NULL,
    PRIMARY KEY (currency, fiat, effective_at));
  CREATE TABLE commitments (
    commitment_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, amount DECIMAL(38, 12) NOT NULL,
    currency VARCHAR NOT NULL, starts_at TIMESTAMP NOT NULL, ends_at TIMESTAMP NOT NULL, applies_to VARCHAR,
    rollover_fraction DECIMAL(38, 12) NOT NULL, origin VARCHAR NOT NULL);
  CREATE TABLE entries (
    seq BIGINT PRIMARY KEY, entry_id VARCHAR NOT NULL UNIQUE, txn_id VARCHAR NOT NULL, type VARCHAR NOT NULL, occurred_at TIMESTAMP NOT NULL,
    account_id VARCHAR NOT NULL, wallet_id VARCHAR, grant_id VARCHAR, commitment_id VARCHAR, line_id VARCHAR, period_start TIMESTAMP,
    amount DECIMAL(38, 12) NOT NULL, currency VARCHAR NOT NULL, fiat_amount DECIMAL(38, 12), fiat_currency VARCHAR);
  CREATE TABLE txns (txn_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, ruleset VARCHAR, ruleset_sha256 VARCHAR, recorded_at TIMESTAMP NOT NULL, detail VARCHAR);
  CREATE TABLE txn_inputs (txn_id VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, file VARCHAR NOT NULL, bytes BIGINT NOT NULL);
  CREATE TABLE lines (
    txn_id VARCHAR NOT NULL, line_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL, charge VARCHAR NOT NULL, meter VARCHAR NOT NULL, dims VARCHAR NOT NULL, incurred_at TIMESTAMP NOT NULL, currency VARCHAR NOT NULL,
    amount DECIMAL(38, 12) NOT NULL, covered_by_commitment DECIMAL(38, 12) NOT NULL, covered_by_credits DECIMAL(38, 12) NOT NULL,
    overage DECIMAL(38, 12) NOT NULL, held BOOLEAN NOT NULL);
  CREATE TABLE txn_balances (
    txn_id VARCHAR NOT NULL, ordinal INTEGER NOT NULL, kind VARCHAR NOT NULL, id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, currency VARCHAR NOT NULL,
    balance DECIMAL(38, 12) NOT NULL, available DECIMAL(38, 12) NOT NULL, overdraft_used DECIMAL(38, 12) NOT NULL);
  CREATE TABLE closes (period VARCHAR PRIMARY KEY, period_start TIMESTAMP NOT NULL, period_end TIMESTAMP NOT NULL, txn_id VARCHAR NOT NULL);
  CREATE TABLE true_ups (
    txn_id VARCHAR NOT NULL, line_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, period VARCHAR NOT NULL, commitment_id VARCHAR NOT NULL,
    currency VARCHAR NOT NULL, minimum DECIMAL(38, 12) NOT NULL, spend DECIMAL(38, 12) NOT NULL, amount DECIMAL(38, 12) NOT NULL);
  `,
  // 2: re-rating. Adjustments never change a billed line: they add reversing and new (or delta) lines beside it,
  // and the billed amount of a line is the sum of its original and its adjustments.
  `
  CREATE TABLE adjustments (
    txn_id VARCHAR NOT NULL, adjustment_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, line_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL, charge VARCHAR NOT NULL, meter VARCHAR NOT NULL, dims VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL, incurred_at TIMESTAMP NOT NULL, currency VARCHAR NOT NULL, amount DECIMAL(38, 12) NOT NULL,
    covered_by_commitment DECIMAL(38, 12) NOT NULL, covered_by_credits DECIMAL(38, 12) NOT NULL, overage DECIMAL(38, 12) NOT NULL,
    quantity VARCHAR NOT NULL, price_version INTEGER NOT NULL);
  -- Contract terms set with \`tally contract set\`: the ruleset's top-level contracts entries, as JSON.
  CREATE TABLE contracts (account_id VARCHAR NOT NULL, charge VARCHAR NOT NULL, effective_from TIMESTAMP NOT NULL, terms VARCHAR NOT NULL,
    txn_id VARCHAR NOT NULL, PRIMARY KEY (account_id, charge, effective_from));
  -- What late usage needs to reprice a billed line with it: the meter quantity (exact text) and the price version.
  ALTER TABLE lines ADD COLUMN quantity VARCHAR;
  ALTER TABLE lines ADD COLUMN price_version INTEGER;
  ALTER TABLE lines ADD COLUMN late BOOLEAN DEFAULT false;
  -- And what a repeated run rewrites of each line: its exact amount, unit price and tier reference.
  ALTER TABLE lines ADD COLUMN amount_exact VARCHAR;
  ALTER TABLE lines ADD COLUMN unit_price VARCHAR;
  ALTER TABLE lines ADD COLUMN tier_ref VARCHAR;
  `,
  // 3: streams (Kafka topics). Where each ruleset's next run starts reading a partition: stored in the run's own
  // transaction, so an event is rated exactly once across runs, and a run that fails advances nothing.
  `
  CREATE TABLE stream_offsets (ruleset VARCHAR NOT NULL, stream VARCHAR NOT NULL, partition INTEGER NOT NULL, next_offset VARCHAR NOT NULL,
    txn_id VARCHAR NOT NULL, PRIMARY KEY (ruleset, stream, partition));
  `,
  // 4: keys of the events each ruleset's runs accepted, for a dedupe stage with across_runs: an event delivered
  // again in a later run is a duplicate, not a second charge. The payload is an MD5 of the fields' text.
  `
  CREATE TABLE seen_events (ruleset VARCHAR NOT NULL, event_key VARCHAR NOT NULL, payload_md5 VARCHAR NOT NULL, event_at TIMESTAMP,
    txn_id VARCHAR NOT NULL);
  `,
];

/** Marks a DuckDB file as a tally state file; a file without it is refused, never written to. */
export const STATE_MARKER = 'tally-state';
