/**
 * Salesforce Billing (CPQ + Billing managed package): usage records, object blng__Usage__c, for Data Loader or
 * the Bulk API 2.0 as an upsert. Field API names as in the Salesforce Billing object reference (blng__Usage__c).
 *
 *   blng__ReferenceId__c       the idempotency key. Documented as "reference to source for which the usage record
 *                              is created" with the idLookup property; upsert needs an External ID field, so check
 *                              that it is one in your org, or add a custom External ID field and use a YAML profile.
 *   blng__Account__c           Salesforce Account Id (enrichment column salesforce_account_id).
 *   blng__MatchingId__c        required: the matching id of the usage summary (order product) the usage joins
 *                              (enrichment column matching_id). Not the key: many usages share it.
 *   blng__OrderProduct__c      the order product (OrderItem Id), optional (enrichment column order_product_id).
 *   blng__StartDateTime__c     start of the billing period, ISO 8601 UTC (2026-10-01T00:00:00Z).
 *   blng__EndDateTime__c       the last second of the period (2026-10-31T23:59:59Z): the period end is exclusive,
 *                              and an end on the next period's first instant would fall outside its summary.
 *   blng__Quantity__c          the metered quantity.
 *   blng__PreratedQuantity__c  the quantity the prerated amount was computed on (the same).
 *   blng__PreratedAmount__c    the amount to invoice: tally's overage, after commitments and credits (the whole
 *                              amount when the run keeps no wallet state). Billing uses it instead of rating.
 *   blng__UnitPrice__c         tally's unit price when the price model has one (empty for tiered/graduated).
 *   blng__Notes__c             the line's dimensions.
 *
 * CurrencyIsoCode is left out: it exists only in multi-currency orgs (add it in a YAML profile there).
 */
import { enriched, field, key, type ExportProfile } from '../profile.js';

export const salesforceBilling: ExportProfile = {
  name: 'salesforce-billing',
  target: 'Salesforce Billing usage (blng__Usage__c), Data Loader or Bulk API upsert',
  fileName: 'salesforce-billing-usage.csv',
  format: 'csv',
  records: 'charge_lines',
  include: 'nonzero',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    key('blng__ReferenceId__c'),
    enriched('blng__Account__c', 'salesforce_account_id'),
    enriched('blng__MatchingId__c', 'matching_id'),
    enriched('blng__OrderProduct__c', 'order_product_id', true),
    field('blng__StartDateTime__c', 'period_start', 'iso-datetime'),
    field('blng__EndDateTime__c', 'period_end_inclusive', 'iso-datetime'),
    field('blng__Quantity__c', 'quantity'),
    field('blng__PreratedQuantity__c', 'quantity'),
    field('blng__PreratedAmount__c', 'overage'),
    field('blng__UnitPrice__c', 'unit_price'),
    field('blng__Notes__c', 'dimensions'),
  ],
};
