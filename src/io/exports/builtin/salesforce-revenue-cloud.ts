/**
 * Salesforce Revenue Cloud (Revenue Management, Usage Management): raw consumption is recorded as
 * TransactionJournal records, which the platform aggregates into UsageSummary records and rates. Based on the
 * Revenue Management object reference for TransactionJournal (API 63.0+) and its Usage Management fields.
 *
 *   ExternalTransactionNumber  the idempotency key. NOT VERIFIED for usage: the field is documented on
 *                              TransactionJournal for Loyalty Management; if your org lacks it or it is not an
 *                              External ID, add a custom External ID field and use a YAML profile.
 *   AccountId                  Salesforce Account Id (enrichment column salesforce_account_id).
 *   UsageResourceId            the usage resource consumed (enrichment column usage_resource_id).
 *   ProductId                  the product, optional (enrichment column product_id). NOT VERIFIED as a usage field.
 *   ActivityDate               required dateTime: start of the billing period, ISO 8601 UTC.
 *   EndDate                    dateTime: the last second of the billing period.
 *   Quantity                   the metered quantity.
 *   UsageType                  the constant UsageManagement (the documented value).
 *
 * Revenue Cloud rates the usage with its own rate cards, so no amount is sent and lines without quantity are
 * left out. CurrencyIsoCode is left out (multi-currency orgs only).
 */
import { constant, enriched, field, key, type ExportProfile } from '../profile.js';

export const salesforceRevenueCloud: ExportProfile = {
  name: 'salesforce-revenue-cloud',
  target: 'Salesforce Revenue Cloud usage management (TransactionJournal), Data Loader or Bulk API upsert',
  fileName: 'salesforce-transaction-journal.csv',
  format: 'csv',
  records: 'charge_lines',
  include: 'nonzero_quantity',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    key('ExternalTransactionNumber'),
    enriched('AccountId', 'salesforce_account_id'),
    enriched('UsageResourceId', 'usage_resource_id'),
    enriched('ProductId', 'product_id', true),
    field('ActivityDate', 'period_start', 'iso-datetime'),
    field('EndDate', 'period_end_inclusive', 'iso-datetime'),
    field('Quantity', 'quantity'),
    constant('UsageType', 'UsageManagement'),
  ],
};
