/**
 * NetSuite: top-ups (credit purchases a wallet's top-up rule made) as invoices, through the CSV Import Assistant
 * (Setup > Import/Export > Import CSV Records, Import Type Transactions, Record Type Invoice). One row is one
 * invoice with one item line: the assistant groups the rows of a transaction by External ID, and each top-up has
 * its own.
 *
 *   External ID   the idempotency key (tally- + the top-up's grant id, run id + "-topup-" + n). Import with
 *                 "Add or Update" keyed on External ID so a repeated import updates the same invoice.
 *   Customer      the account that owns the wallet; it must equal the customer's NetSuite name/ID or external id
 *                 (choose the reference type for this field in the mapping step).
 *   Date          when the top-up was granted, MM/DD/YYYY (the importing user's date format preference, as for
 *                 the `netsuite` usage profile).
 *   Item          the item sold for credits (enrichment column topup_item, from the account's row whose charge
 *                 is empty, so the `netsuite` usage table serves both).
 *   Quantity      always 1: the item is the whole purchase.
 *   Amount        what the customer pays for it (the grant's cost basis; tally sets it to the credit added).
 *   Currency      the wallet currency.
 *
 * Not verified: the auto-mapping labels (Customer, Date, Item, Quantity, Amount, Currency are the form labels of
 * the invoice and its item lines); whether Currency matches your currency records by ISO code (NetSuite references
 * a currency by its record); whether your form requires more (Subsidiary, Terms, Location): add them from
 * enrichment in a YAML copy. Keep Currency mapped: a wallet in a virtual currency (credits) has no money price, so
 * its row carries the credit count and the currency `credits`, which NetSuite cannot match; without the column the
 * count would be invoiced as money.
 */
import { constant, enriched, field, key, type ExportProfile } from '../profile.js';

export const netsuiteTopUps: ExportProfile = {
  name: 'netsuite-topups',
  target: 'NetSuite invoices for credit top-ups (CSV Import Assistant, record type Invoice)',
  fileName: 'netsuite-topup-invoices.csv',
  format: 'csv',
  records: 'top_ups',
  include: 'all',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    key('External ID'),
    field('Customer', 'account'),
    field('Date', 'at', 'MM/DD/YYYY'),
    enriched('Item', 'topup_item'),
    constant('Quantity', '1'),
    field('Amount', 'price_paid'),
    field('Currency', 'currency'),
  ],
};
