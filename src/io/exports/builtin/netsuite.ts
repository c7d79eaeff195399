/**
 * NetSuite SuiteBilling: usage records through the CSV Import Assistant (Setup > Import/Export > Import CSV
 * Records, record type Usage). The assistant maps file headers to Usage record fields in its mapping step; the
 * headers below are the field labels of the Usage record, so the assistant's automatic mapping finds them.
 *
 *   External ID        the idempotency key (tally- + line id). Import with "Add or Update" keyed on External ID
 *                      so a repeated import updates instead of adding a second usage record.
 *   Customer           the tally account; it must equal the customer's NetSuite name/ID or external id (choose
 *                      the reference type for this field in the mapping step).
 *   Subscription Line  the subscription line the usage rates against (enrichment column subscription_line).
 *   Item               the usage item of that line (enrichment column item).
 *   Usage Date         start of the billing period, MM/DD/YYYY. NetSuite reads dates in the importing user's
 *                      date format preference: change `date` in a YAML copy of this profile if it differs.
 *   Usage Quantity     the metered quantity; NetSuite prices it with the subscription's price plan.
 *   Memo               the line's dimensions (name=value;...), so usage split by dimension stays readable.
 *
 * NetSuite prices the usage itself, so amounts are not sent and lines without quantity are left out. Not
 * verified: whether your account requires Subscription as well as Subscription Line; add it from enrichment.
 */
import { enriched, field, key, type ExportProfile } from '../profile.js';

export const netsuite: ExportProfile = {
  name: 'netsuite',
  target: 'NetSuite SuiteBilling usage (CSV Import Assistant, record type Usage)',
  fileName: 'netsuite-usage.csv',
  format: 'csv',
  records: 'charge_lines',
  include: 'nonzero_quantity',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    key('External ID'),
    field('Customer', 'account'),
    enriched('Subscription Line', 'subscription_line'),
    enriched('Item', 'item'),
    field('Usage Date', 'period_start', 'MM/DD/YYYY'),
    field('Usage Quantity', 'quantity'),
    field('Memo', 'dimensions'),
  ],
};
