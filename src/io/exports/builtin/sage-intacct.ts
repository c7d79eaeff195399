/**
 * Sage Intacct Contracts: usage data (object CONTRACTUSAGE, "a usage record contains the quantity of a contract
 * line item that a customer used during a specific time period"), for the usage data CSV import or the API.
 * Field names are those of the CONTRACTUSAGE object as the Intacct XML API queries and creates them.
 *
 *   CONTRACTID      the contract (enrichment column contract_id).
 *   CONTRACTLINEID  the contract line, optional (enrichment column contract_line_id): needed when a contract has
 *                   several lines for the same item. NOT VERIFIED as the exact create-field name.
 *   ITEMID          the usage item of the contract line (enrichment column item_id).
 *   USAGEDATE       start of the billing period, MM/DD/YYYY (Intacct's import date format).
 *   QUANTITY        the metered quantity; Intacct prices it with the contract line's price.
 *   TALLY_LINE_KEY  the idempotency key. Intacct usage has no documented external-id field that we could
 *                   verify: create a custom field with this id on contract usage and check it before importing.
 *
 * Intacct prices the usage itself, so no amount is sent and lines without quantity are left out.
 */
import { enriched, field, key, type ExportProfile } from '../profile.js';

export const sageIntacct: ExportProfile = {
  name: 'sage-intacct',
  target: 'Sage Intacct contract usage (CONTRACTUSAGE) import',
  fileName: 'sage-intacct-contract-usage.csv',
  format: 'csv',
  records: 'charge_lines',
  include: 'nonzero_quantity',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    enriched('CONTRACTID', 'contract_id'),
    enriched('CONTRACTLINEID', 'contract_line_id', true),
    enriched('ITEMID', 'item_id'),
    field('USAGEDATE', 'period_start', 'MM/DD/YYYY'),
    field('QUANTITY', 'quantity'),
    key('TALLY_LINE_KEY'),
  ],
};
