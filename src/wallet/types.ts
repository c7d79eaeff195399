/**
 * The customer's credit and prepayment position, as plain typed values. The waterfall (waterfall.ts) and the
 * period close (close.ts) are pure functions over these; the DuckDB state store (src/state) loads and saves them.
 *
 * Instants are canonical UTC text, `YYYY-MM-DD HH:MM:SS.ffffff` (see instant.ts), so they compare as strings.
 * Amounts are decimals with at most 12 places (the state stores DECIMAL(38, 12)).
 */
import type { Decimal } from '../pricing/index.js';

export const GRANT_KINDS = ['promotional', 'gift_card', 'revenue_block', 'purchased', 'deposit'] as const;
/** Kinds in their default draw-down rank: promotional first, deposits (refundable cash) last. */
export type GrantKind = (typeof GRANT_KINDS)[number];

/**
 * Draw-down order keys, applied in the order a wallet lists them; grant id breaks the last tie.
 * - priority: lower number first;
 * - expiry: soonest expiry first, grants that never expire last;
 * - kind: the rank of GRANT_KINDS (promotional before purchased);
 * - age: earliest effective first (oldest).
 */
export const ORDER_KEYS = ['priority', 'expiry', 'kind', 'age'] as const;
export type OrderKey = (typeof ORDER_KEYS)[number];
export const DEFAULT_ORDER: OrderKey[] = ['priority', 'expiry', 'kind', 'age'];

/** Which charge lines a wallet or commitment may pay; an absent list allows all. */
export interface Restriction {
  charges?: string[];
  meters?: string[];
  /** Dimension name → allowed values. */
  dimensions?: Record<string, string[]>;
}

export interface TopUpRule {
  /** Top up when the available balance falls below this. */
  threshold: Decimal;
  /** fixed: add `amount`; target: add what brings the available balance to `amount`. */
  mode: 'fixed' | 'target';
  amount: Decimal;
  /** At most this many top-ups per billing period of the lines that trigger them. */
  maxPerPeriod: number;
}

export interface Wallet {
  id: string;
  /** Owner. A pool wallet is drawn by the owner and every descendant account. */
  account: string;
  /** A fiat currency (USD) or a virtual one (credits) converted through an effective-dated rate. */
  currency: string;
  pool: boolean;
  /** Order among an account's own wallets (lower first); pools are always after them. */
  priority: number;
  order: OrderKey[];
  /** How far the wallet may go below zero (0: no overdraft). Only for lines in the wallet's own currency. */
  overdraftLimit: Decimal;
  /** Past the overdraft limit: the rest is overage, or the whole line is held (credit_limit_exceeded). */
  onLimit: 'overage' | 'hold';
  appliesTo: Restriction | null;
  /** Pools: how much one child account may draw per billing period, in the wallet's currency (null: no cap). */
  childCap: Decimal | null;
  /** Pools: caps of particular children, overriding `childCap`. */
  childCaps: Record<string, Decimal>;
  topUp: TopUpRule | null;
}

export interface Grant {
  id: string;
  wallet: string;
  amount: Decimal;
  kind: GrantKind;
  priority: number;
  effectiveAt: string;
  /** Exclusive: a grant is usable on [effectiveAt, expiresAt). */
  expiresAt: string | null;
  costBasis: Decimal | null;
}

/** A virtual currency's value in a fiat currency from `effectiveAt` on. */
export interface ConversionRate {
  currency: string;
  fiat: string;
  rate: Decimal;
  effectiveAt: string;
}

export interface Commitment {
  id: string;
  account: string;
  /** prepaid: drawn before wallets during [start, end); minimum: spend per period below `amount` is trued up. */
  kind: 'prepaid' | 'minimum';
  amount: Decimal;
  currency: string;
  start: string;
  end: string;
  appliesTo: Restriction | null;
  /** prepaid: fraction of the remainder at term end carried into a new term of the same length. */
  rolloverFraction: Decimal;
}

export interface Account {
  id: string;
  parent: string | null;
  currency: string | null;
}

export const ENTRY_TYPES = [
  'grant', 'topup', 'drawdown', 'overdraft', 'repay', 'expiry', 'void',
  'commitment', 'commitment_drawdown', 'commitment_breakage', 'commitment_rollover',
] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/**
 * One append-only ledger entry. `amount` is signed, in the currency of the wallet or commitment it moves
 * (credits positive, draw-downs negative); `fiatAmount` is what a draw-down covered of a line, in the line's currency.
 */
export interface Entry {
  type: EntryType;
  at: string;
  /** The account whose line consumed it (the child, for a pool draw-down), or the owner. */
  account: string;
  wallet: string | null;
  grant: string | null;
  commitment: string | null;
  lineId: string | null;
  /** Billing period of the line, for per-period caps and top-up limits. */
  periodStart: string | null;
  amount: Decimal;
  currency: string;
  fiatAmount: Decimal | null;
  fiatCurrency: string | null;
}

/** What the waterfall needs of a rated charge line. */
export interface WaterfallLine {
  lineId: string;
  account: string;
  charge: string;
  meter: string;
  dims: Record<string, string | null>;
  /** When the line was incurred: its last event. */
  at: string;
  periodStart: string;
  currency: string;
  minorUnits: number;
  /** The rounded line amount (list price after modifiers). */
  amount: Decimal;
}

export interface LineBreakdown {
  coveredByCommitment: Decimal;
  coveredByCredits: Decimal;
  overage: Decimal;
  /** Held lines draw nothing: the overdraft limit was reached on a wallet configured to hold. */
  held: boolean;
}

export interface TopUp {
  grant: Grant;
  account: string;
  currency: string;
  /** The line whose draw-down triggered it. */
  lineId: string;
}
