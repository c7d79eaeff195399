/** outputs: the columns of the charges file and the optional per-event file. */
import type { CompileContext } from './context.js';
import type { OutputColumn, OutputColumnSource, OutputsIR } from './ir.js';

type Raw = Record<string, unknown>;

/** The default charges columns: everything a billing import or an auditor needs to trace a line. */
export const DEFAULT_CHARGE_COLUMNS: OutputColumnSource[] = [
  'line_id', 'account', 'period', 'period_start', 'period_end', 'charge', 'meter', 'dimensions', 'quantity',
  'unit_price', 'tier_ref', 'amount_exact', 'amount', 'covered_by_commitment', 'covered_by_credits', 'overage', 'status', 'currency',
  'ruleset', 'ruleset_version', 'price_version',
];

export function compileOutputs(raw: Raw, cx: CompileContext): OutputsIR {
  const charges = (raw.charges as Raw | undefined) ?? {};
  const listed = charges.columns as Record<string, OutputColumnSource>[] | undefined;
  const columns: OutputColumn[] = listed
    ? listed.filter(Boolean).flatMap((entry, i) => {
        const pairs = Object.entries(entry);
        if (pairs.length !== 1) {
          cx.error(entry, '', `outputs.charges.columns[${i}]`, 'column_shape', 'each column is one `name: source` pair');
          return [];
        }
        const [name, source] = pairs[0]!;
        return source ? [{ name, source }] : [];
      })
    : DEFAULT_CHARGE_COLUMNS.map((source) => ({ name: source === 'account' ? 'account_id' : source, source }));
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) cx.error(charges, 'columns', 'outputs.charges', 'duplicate_column', `column "${c.name}" appears twice`);
    names.add(c.name);
  }
  return {
    charges: { columns, emptyDimension: (charges.empty_dimension as string | undefined) ?? '' },
    ratedEvents: raw.rated_events === true,
    allocationScale: (raw.allocation_scale as number | undefined) ?? 6,
  };
}
