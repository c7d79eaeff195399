/**
 * The ruleset language as data. Stage kinds bring their own specs (src/stages), so this file only assembles
 * the top level; `json-schema.ts` turns the same value into the JSON Schema editors use.
 */
import { allStages } from '../stages/registry.js';
import { bool, dec, expr, int, list, map, obj, req, str, strings, tagged, type Spec } from './spec.js';

export const PERIODS = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const AGGREGATIONS = ['sum', 'count', 'count_distinct', 'max', 'min', 'latest', 'avg', 'time_weighted_sum'] as const;
export const MODELS = ['flat', 'unit', 'graduated', 'volume', 'package', 'tiered_package', 'percentage', 'matrix', 'time_of_day'] as const;
export const OUTPUT_SOURCES = [
  'line_id', 'account', 'period', 'period_start', 'period_end', 'charge', 'meter', 'dimension', 'dimensions',
  'quantity', 'unit_price', 'tier_ref', 'amount_exact', 'amount', 'currency', 'ruleset', 'ruleset_version', 'price_version',
  'covered_by_commitment', 'covered_by_credits', 'overage', 'status', 'incurred_at',
] as const;

const fieldSpec: Spec = obj('An input field.', {
  type: req(str('string, integer, boolean, timestamp, decimal or decimal(P,S).')),
  column: str('Column name in the file (default: the field name).'),
  format: str('strptime format of a timestamp (ISO 8601 when absent).'),
  required: bool('Reject rows where the field is empty (default false).'),
  invalid_reason: str('Reject reason when the value does not parse (default invalid_<field>).'),
  missing_reason: str('Reject reason when a required value is empty (default missing_<field>).'),
});

const inputSpec: Spec = obj('The fields of a usage event and how to read them.', {
  format: str('File format; auto picks by extension.', { enum: ['auto', 'csv', 'tsv', 'jsonl', 'parquet'] }),
  csv: obj('CSV options.', {
    delimiter: str('Field delimiter (default ",").'),
    quote: str('Quote character (default \'"\').'),
    escape: str('Escape character inside quotes (default: the quote).'),
    header: bool('Whether the first line names the columns (default true).'),
    null: str('Text that stands for a missing value, e.g. NULL.'),
  }),
  fields: req(map(fieldSpec, 'Fields by name, in any order.')),
  event_id: req(str('Field identifying an event (the default dedupe key).')),
  event_time: req(str('Field giving the event time (must be a timestamp after mediation).')),
});

const billingSpec: Spec = obj('Who is billed, when, and in what money.', {
  account: req(str('Field naming the billed account.')),
  timezone: str('IANA time zone of periods and time functions (default UTC).'),
  currency: str('Default currency of prices (default USD).'),
  minor_units: int('Decimal places of the currency (default from ISO 4217).', 0, 12),
  rounding: str('Rounding of line amounts (default half_even).', { enum: ['half_even', 'half_up'] }),
  period: str('Default billing period of meters (default month).', { enum: PERIODS }),
});

const meterSpec: Spec = obj('A named aggregation of mediated events per account and period.', {
  aggregation: req(str('How events aggregate.', { enum: AGGREGATIONS })),
  value: expr('Value aggregated (not needed for count).'),
  filter: expr('Only events where this is true count.'),
  dimensions: strings('Fields the meter is grouped by.'),
  period: str('Billing period (default: billing.period).', { enum: PERIODS }),
  scale: int('Decimal places of the quantity in outputs (default 3; avg and time-weighted sums round half-even to it).', 0, 18),
  time_unit: str('time_weighted_sum: the unit of time (default hour).', { enum: ['second', 'minute', 'hour', 'day'] }),
});

const tierSpec: Spec = obj('A tier; the last has no up_to.', {
  up_to: dec('Upper bound of the tier, inclusive.', 'positive'),
  unit_price: dec('Price of each unit in the tier.', 'non_negative'),
  package_price: dec('tiered_package: price of each started package in the tier.', 'non_negative'),
  flat_fee: dec('Fee charged once when the tier is entered (graduated) or reached (volume).', 'non_negative'),
});

const bandSpec: Spec = obj('A time-of-day band.', {
  name: req(str('Band name; it becomes the line dimension value.')),
  unit_price: req(dec('Price of each unit in the band.', 'non_negative')),
  when: list(obj('When the band applies.', {
    days: req(strings('Weekdays: mon, tue, wed, thu, fri, sat, sun, or weekdays / weekend.')),
    from: str('Local start time HH:MM, inclusive (default 00:00).', { pattern: /^\d\d:\d\d$/, patternHint: 'must be HH:MM' }),
    to: str('Local end time HH:MM, exclusive (default 24:00).', { pattern: /^\d\d:\d\d$/, patternHint: 'must be HH:MM' }),
  }), 'Schedules; omit on the default band.'),
});

/** Model parameters; `prices[].versions[]` repeat them. */
const modelFields = {
  amount: dec('flat: the fee per period.', 'non_negative'),
  unit_price: dec('unit: price per unit.', 'non_negative'),
  tiers: list(tierSpec, 'graduated, volume, tiered_package: the tier table.', 1),
  package_size: dec('package, tiered_package: units per package.', 'positive'),
  package_price: dec('package: price per started package.', 'non_negative'),
  matrix: obj('matrix: prices by dimension values.', {
    dimensions: req(strings('Dimensions the matrix is keyed on.')),
    prices: req(list(obj('One combination.', { when: req(map(str('Value.'), 'Dimension values.')), unit_price: req(dec('Price per unit.', 'non_negative')) }), 'Prices by combination.')),
    default_price: dec('Price of combinations not listed (omit to reject them).', 'non_negative'),
    reject_reason: str('Reject reason for events of unlisted combinations (default unknown_price_dimension).'),
  }),
  time_of_day: obj('time_of_day: bands by weekday and hour.', {
    dimension: str('Line dimension holding the band (default time_band).'),
    timezone: str('IANA zone of the schedule (default billing.timezone).'),
    bands: req(list(bandSpec, 'Bands; the first whose schedule matches wins; the one with no `when` is the default.', 1)),
  }),
  percentage: obj('percentage: a rate on a monetary field, per event.', {
    amount: req(expr('Monetary value of each event.')),
    rate: req(dec('Fraction charged, e.g. 0.029.', 'non_negative')),
    fixed_fee: dec('Added to each charged event.', 'non_negative'),
    free_units: int('First N events of the period free.', 0),
    free_amount: dec('First amount of the period free.', 'non_negative'),
    min_per_event: dec('Minimum charge per charged event.', 'non_negative'),
    max_per_event: dec('Maximum charge per event.', 'non_negative'),
  }),
};

const modifierSpec: Spec = obj('A multiplier keyed on a dimension value or on the account.', {
  name: str('Label of the modifier.'),
  dimension: str('Dimension whose value picks the factor.'),
  account: map(dec('Factor.', 'non_negative'), 'Factor by account.'),
  factors: map(dec('Factor.', 'non_negative'), 'Factor by dimension value.'),
  default: dec('Factor when no key matches (default 1).', 'non_negative'),
});

const contractFields = {
  account: req(str('The account.')),
  effective_from: req(str('UTC instant from which the terms apply (an amendment mid-period splits the period there).')),
  discount: dec('Fraction off every price of the terms, e.g. 0.15.', 'non_negative'),
  uplift: dec('Fraction added to every price of the terms, e.g. 0.10.', 'non_negative'),
  ...modelFields,
};
const contractSpec: Spec = obj('Contract terms of one account, from an instant on: the charge\'s base terms with these overrides.', contractFields);

const priceSpec: Spec = obj('A rate card applied to a meter.', {
  charge: req(str('Charge name, shown on each line.')),
  meter: req(str('Meter priced.')),
  model: req(str('Price model.', { enum: MODELS })),
  description: str('What the charge is, for people.'),
  ...modelFields,
  currency: str('Currency (default billing.currency).'),
  tier_basis: str('Tiers and included units apply to the group total (default), to each price version\'s total (they restart at a version or contract amendment), or to each line alone.', { enum: ['group', 'version', 'line'] }),
  included: dec('First N units per period free.', 'non_negative'),
  minimum: dec('Minimum amount per line.', 'non_negative'),
  maximum: dec('Maximum amount per line.', 'non_negative'),
  modifiers: list(modifierSpec, 'Multipliers applied in order after the model.'),
  versions: list(obj('A later version of the rate card.', { effective_from: req(str('UTC instant from which it applies, e.g. 2026-11-01 or 2026-11-01T00:00:00Z.')), ...modelFields }), 'Effective-dated versions; events are rated by the version in force at their time.'),
  contracts: list(contractSpec, 'Per-account contract terms and their amendments, in effective_from order per account; from its first one on, an account is rated by its contract, not the rate card\'s versions.'),
});

const outputsSpec: Spec = obj('Files a run writes.', {
  charges: obj('charges file.', {
    columns: list(map(str('Value of the column.', { enum: OUTPUT_SOURCES }), 'Column name to value.'), 'Columns, in order; each is `name: source`.'),
    empty_dimension: str('Text of the dimension column on lines with no dimension (default empty).'),
  }),
  rated_events: bool('Also write rated-events.parquet (each event with its allocated charge).'),
  allocation_scale: int('Decimal places of event allocations (default 6).', 0, 18),
});

const restrictionSpec: Spec = obj('Which lines it may pay; an absent list allows all.', {
  charges: strings('Only these charges.'),
  meters: strings('Only lines of these meters.'),
  dimensions: map(strings('Allowed values.'), 'Only lines whose dimension has one of these values.'),
});

const accountsSpec: Spec = obj('Accounts and their hierarchy (enterprise parents, partner channels), written into the state file by each run.', {
  file: str('CSV or Parquet file with account_id and optionally parent_id, currency (relative to the ruleset).'),
  list: list(obj('An account.', { id: req(str('Account id.')), parent: str('Parent account.'), currency: str('Currency of the account.') }), 'Accounts.'),
});

const walletSpec: Spec = obj('A wallet: credit grants an account (or, as a pool, its descendants) draws from.', {
  id: req(str('Wallet id.')),
  account: req(str('Owning account.')),
  currency: str('Fiat code or a virtual currency such as credits (default billing.currency).'),
  pool: bool('Descendant accounts of the owner draw from it too (default false).'),
  priority: int('Order among the account\'s own wallets, lower first (default 0).'),
  order: list(str('Key.', { enum: ['priority', 'expiry', 'kind', 'age'] }), 'Draw-down order of grants (default priority, expiry, kind, age).'),
  overdraft_limit: dec('How far below zero it may go (default 0).', 'non_negative'),
  on_limit: str('Past the overdraft limit: bill the rest as overage, or hold the line (default overage).', { enum: ['overage', 'hold'] }),
  applies_to: restrictionSpec,
  child_cap: dec('Pools: what one child account may draw per billing period.', 'non_negative'),
  child_caps: map(dec('Cap.', 'non_negative'), 'Pools: caps of particular children.'),
  top_up: obj('Automatic top-up: a purchased grant when the usable balance falls below a threshold.', {
    below: req(dec('Threshold.', 'non_negative')),
    amount: dec('Add this much.', 'positive'),
    to: dec('Or top up to this balance.', 'positive'),
    max_per_period: int('At most this many per billing period (default 1).', 1),
  }),
});

const commitmentSpec: Spec = obj('A prepaid (draw-down) or minimum-spend commitment.', {
  id: req(str('Commitment id.')),
  account: req(str('Account.')),
  kind: req(str('prepaid: drawn before wallets; minimum: spend below it per period is trued up at close.', { enum: ['prepaid', 'minimum'] })),
  amount: req(dec('prepaid: the amount for the term; minimum: the minimum per period.', 'positive')),
  currency: str('Currency (default billing.currency).'),
  start: req(str('Start of the term, inclusive (2026-01-01).')),
  end: req(str('End of the term, exclusive.')),
  rollover: dec('prepaid: fraction of the remainder carried into a next term of the same length (default 0).', 'non_negative'),
  charges: strings('Only these charges (default all).'),
});

export const rulesetSpec: Spec = obj('A tally ruleset: how to mediate, meter and price usage.', {
  version: req(int('Ruleset language version (1).', 1, 1)),
  name: req(str('Name of the ruleset, written on every line.', { pattern: /^[A-Za-z0-9_.-]+$/, patternHint: 'must be letters, digits, "_", "-" or "."' })),
  ruleset_version: str('Version of this rate card, written on every line (default 1).'),
  description: str('What the ruleset prices.'),
  input: req(inputSpec),
  billing: req(billingSpec),
  mediation: list(tagged('A mediation stage.', Object.fromEntries(allStages().map((s) => [s.kind, s.spec]))), 'Ordered mediation stages.'),
  meters: req(map(meterSpec, 'Meters by name.')),
  prices: req(list(priceSpec, 'Charges.', 1)),
  outputs: outputsSpec,
  accounts: accountsSpec,
  wallets: list(walletSpec, 'Wallets a run creates in the state file when absent (their grants come from `tally wallet grant` or `import`).'),
  commitments: list(commitmentSpec, 'Commitments a run adds to the state file when absent.'),
  contracts: list(obj('Contract terms of one account for one charge (the same as prices[].contracts, kept apart, e.g. in a contracts.yaml of a ruleset folder).', {
    charge: req(str('The charge the terms are for.')),
    ...contractFields,
  }), 'Per-account contract terms, by charge.'),
});

