/** Hand-made charge lines, ledger entries, top-ups and an enrichment table shared by the export tests. */
import { dec } from '../../src/pricing/decimal.js';
import type { ChargeLine } from '../../src/run/rate.js';
import type { Entry, TopUp } from '../../src/wallet/types.js';
import { parseEnrichment } from '../../src/io/exports/enrichment.js';
import type { ExportEntry } from '../../src/io/exports/render.js';

const OCTOBER = { period: '2026-10', periodStart: '2026-10-01 00:00:00', periodEnd: '2026-11-01 00:00:00' };

export function line(over: Partial<ChargeLine> & { lineId: string }): ChargeLine {
  return {
    account: 'acme',
    ...OCTOBER,
    charge: 'api_calls',
    meter: 'calls',
    dims: {},
    dimensionLabel: '',
    version: 1,
    quantity: dec('0'),
    quantityScale: 0,
    currency: 'USD',
    minorUnits: 2,
    at: '2026-10-30 17:45:12.123456',
    priced: { exact: dec('0'), amount: dec('0'), unitPrice: null, tierRef: '' },
    ...over,
  };
}

export const RUN_ID = 'run-0123456789abcdef';
export const GENERATED_AT = '2026-11-01 06:00:00';

/** One of each kind: plain, with dimensions, late, zero, held, an awkward account, a virtual currency. */
export const LINES: ChargeLine[] = [
  // Plain line, part paid by credits.
  line({
    lineId: 'a1a1a1a1a1a1a1a1a1a1a1a1', quantity: dec('1500'),
    priced: { exact: dec('15'), amount: dec('15'), unitPrice: dec('0.01'), tierRef: 'flat' },
    wallet: { coveredByCommitment: dec('0'), coveredByCredits: dec('5'), overage: dec('10'), held: false },
  }),
  // Dimensions, a fractional quantity, a tiered price (no unit price), an exact amount that rounds.
  line({
    lineId: 'b2b2b2b2b2b2b2b2b2b2b2b2', charge: 'storage_gb', meter: 'storage', dims: { region: 'eu-west', tier: 'hot' }, dimensionLabel: 'eu-west|hot',
    quantity: dec('12.345'), quantityScale: 3, at: '2026-10-31 23:59:59.999999',
    priced: { exact: dec('2.469'), amount: dec('2.47'), unitPrice: null, tierRef: 'tier-2' },
  }),
  // Late usage for September, already billed: same line id as the billed line.
  line({
    lineId: 'c3c3c3c3c3c3c3c3c3c3c3c3', period: '2026-09', periodStart: '2026-09-01 00:00:00', periodEnd: '2026-10-01 00:00:00',
    quantity: dec('200'), late: true, at: '2026-10-02 08:00:00.000000',
    priced: { exact: dec('2'), amount: dec('2'), unitPrice: dec('0.01'), tierRef: 'flat' },
  }),
  // Late line with no late usage of its own: a volume tier moved its price.
  line({
    lineId: 'd4d4d4d4d4d4d4d4d4d4d4d4', period: '2026-09', periodStart: '2026-09-01 00:00:00', periodEnd: '2026-10-01 00:00:00',
    charge: 'storage_gb', meter: 'storage', dims: { region: 'us-east', tier: 'hot' }, dimensionLabel: 'us-east|hot', quantityScale: 3,
    quantity: dec('0'), late: true, priced: { exact: dec('-0.5'), amount: dec('-0.50'), unitPrice: null, tierRef: 'tier-3' },
  }),
  // Zero line: usage that metered to nothing.
  line({ lineId: 'e5e5e5e5e5e5e5e5e5e5e5e5', account: 'globex' }),
  // Held by the wallet's credit limit.
  line({
    lineId: 'f6f6f6f6f6f6f6f6f6f6f6f6', account: 'globex', quantity: dec('40'),
    priced: { exact: dec('0.4'), amount: dec('0.40'), unitPrice: dec('0.01'), tierRef: 'flat' },
    wallet: { coveredByCommitment: dec('0'), coveredByCredits: dec('0'), overage: dec('0'), held: true },
  }),
  // An account and dimension value that need CSV quoting, in a zero-decimal currency.
  line({
    lineId: '0707070707070707070707a7', account: 'Smith, "Bob" & Co', charge: 'api_calls', dims: { project: 'alpha,\n"beta"' }, dimensionLabel: 'alpha,\n"beta"',
    quantity: dec('7'), currency: 'JPY', minorUnits: 0,
    priced: { exact: dec('700'), amount: dec('700'), unitPrice: dec('100'), tierRef: 'flat' },
  }),
];

/**
 * Every column the built-in profiles read; acme's storage has a row of its own, its other charges (and its
 * top-ups, which have no charge) share one.
 */
export const ENRICHMENT_CSV = `account,charge,subscription_line,item,salesforce_account_id,matching_id,order_product_id,usage_resource_id,product_id,contract_id,contract_line_id,item_id,topup_item
acme,,SUBLINE-100,API-CALLS,001A0000001,MATCH-ACME-API,802A0000001,0ZRA0000001,,CON-ACME,1,ITEM-API,CREDITS-PACK
acme,storage_gb,SUBLINE-101,STORAGE-GB,001A0000001,MATCH-ACME-STO,,0ZRA0000002,01tA0000002,CON-ACME,2,ITEM-STO,NOT-FOR-TOPUPS
globex,,SUBLINE-200,API-CALLS,001B0000001,MATCH-GLOBEX,,0ZRB0000001,,CON-GLOBEX,1,ITEM-API,PREPAID-USD
"Smith, ""Bob"" & Co",,"SUB,LINE ""300""",API-CALLS,001C0000001,MATCH-SMITH,,0ZRC0000001,,CON-SMITH,1,ITEM-API,PREPAID-JPY
`;

const A1 = 'a1a1a1a1a1a1a1a1a1a1a1a1';
const F6 = 'f6f6f6f6f6f6f6f6f6f6f6f6';
const A7 = '0707070707070707070707a7';
const AT = '2026-10-30 17:45:12.123456';
const OCT = '2026-10-01 00:00:00';

function entry(n: number, over: Partial<Entry> & Pick<Entry, 'type' | 'amount' | 'currency'>): ExportEntry {
  return {
    entryId: `${RUN_ID}:${n}`, at: AT, account: 'acme', wallet: 'acme', grant: null, commitment: null, lineId: null, periodStart: null,
    fiatAmount: null, fiatCurrency: null, ...over,
  };
}

/**
 * One of each movement a run makes: a declared grant, a prepaid commitment draw-down, draw-downs in USD and in a
 * virtual currency (whose fiat side has more places than the line's minor units), an overdraft, the top-up that
 * repays it (and the repay pair), and an account that needs CSV quoting, in a zero-decimal currency.
 */
export const ENTRIES: ExportEntry[] = [
  entry(1, { type: 'grant', at: '2026-10-01 00:00:00.000000', grant: 'g-promo', amount: dec('50'), currency: 'USD' }),
  entry(2, { type: 'commitment_drawdown', wallet: null, commitment: 'c-acme', lineId: A1, periodStart: OCT, amount: dec('-2'), currency: 'USD', fiatAmount: dec('-2'), fiatCurrency: 'USD' }),
  entry(3, { type: 'drawdown', grant: 'g-promo', lineId: A1, periodStart: OCT, amount: dec('-3'), currency: 'USD', fiatAmount: dec('-3'), fiatCurrency: 'USD' }),
  entry(4, { type: 'drawdown', wallet: 'acme-credits', grant: 'g-credits', lineId: A1, periodStart: OCT, amount: dec('-1234.5'), currency: 'credits', fiatAmount: dec('-12.345'), fiatCurrency: 'USD' }),
  entry(5, { type: 'overdraft', account: 'globex', wallet: 'globex', lineId: F6, periodStart: OCT, amount: dec('-0.4'), currency: 'USD', fiatAmount: dec('-0.4'), fiatCurrency: 'USD' }),
  entry(6, { type: 'topup', account: 'globex', wallet: 'globex', grant: `${RUN_ID}-topup-1`, lineId: F6, periodStart: OCT, amount: dec('15'), currency: 'USD' }),
  entry(7, { type: 'repay', account: 'globex', wallet: 'globex', grant: `${RUN_ID}-topup-1`, amount: dec('-0.4'), currency: 'USD' }),
  entry(8, { type: 'repay', account: 'globex', wallet: 'globex', amount: dec('0.4'), currency: 'USD' }),
  entry(9, { type: 'drawdown', account: 'Smith, "Bob" & Co', wallet: 'smith', grant: 'g-smith', lineId: A7, periodStart: OCT, amount: dec('-700'), currency: 'JPY', fiatAmount: dec('-700'), fiatCurrency: 'JPY' }),
];

function topUp(n: number, account: string, wallet: string, amount: string, currency: string, lineId: string, effectiveAt: string): TopUp {
  const grant = { id: `${RUN_ID}-topup-${n}`, wallet, amount: dec(amount), kind: 'purchased' as const, priority: 0, effectiveAt, expiresAt: null, costBasis: dec(amount) };
  return { grant, account, currency, lineId };
}

/** A USD top-up, a JPY one for an awkward account, and one in a virtual currency (credits: 12 places). */
export const TOP_UPS: TopUp[] = [
  topUp(1, 'globex', 'globex', '15', 'USD', F6, AT),
  topUp(2, 'Smith, "Bob" & Co', 'smith', '1000', 'JPY', A7, '2026-10-31 23:59:59.999999'),
  topUp(3, 'acme', 'acme-credits', '500', 'credits', A1, '2026-10-02 08:00:00.000000'),
];

export const enrichment = () => parseEnrichment(ENRICHMENT_CSV, 'enrich.csv', { account: 'account', charge: 'charge' });
