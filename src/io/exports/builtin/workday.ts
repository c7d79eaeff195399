/**
 * Workday Financials, Customer Contracts / Billing: usage-based (billable) transactions for customer contract
 * lines, loaded with an EIB. Workday's import templates are generated per tenant and their column names are not
 * published in a form we could verify; the names below follow the Workday web-service naming style
 * (X_Reference for references, X_ID for ids) and must be matched to your EIB template in a YAML copy if they
 * differ. The content of each column is what such an import needs:
 *
 *   Billable_Transaction_ID      the idempotency key (tally- + line id).
 *   Customer_Reference           the tally account, which must be the Workday Customer_ID.
 *   Customer_Contract_Reference  the contract (enrichment column contract_id).
 *   Contract_Line_Reference      the contract line the usage bills against (enrichment column contract_line_id).
 *   Transaction_Date             start of the billing period, YYYY-MM-DD (xsd:date, as Workday web services take).
 *   Quantity                     the metered quantity.
 *   Extended_Amount              the amount to invoice: tally's overage after commitments and credits.
 *   Currency_Reference           ISO currency code.
 *   Memo                         the line's dimensions.
 */
import { enriched, field, key, type ExportProfile } from '../profile.js';

export const workday: ExportProfile = {
  name: 'workday',
  target: 'Workday Financials customer contract billable transactions (EIB); column names unverified',
  fileName: 'workday-billable-transactions.csv',
  format: 'csv',
  records: 'charge_lines',
  include: 'nonzero',
  includeHeld: false,
  keyPrefix: 'tally-',
  enrichment: { account: 'account', charge: 'charge' },
  columns: [
    key('Billable_Transaction_ID'),
    field('Customer_Reference', 'account'),
    enriched('Customer_Contract_Reference', 'contract_id'),
    enriched('Contract_Line_Reference', 'contract_line_id'),
    field('Transaction_Date', 'period_start', 'YYYY-MM-DD'),
    field('Quantity', 'quantity'),
    field('Extended_Amount', 'overage'),
    field('Currency_Reference', 'currency'),
    field('Memo', 'dimensions'),
  ],
};
