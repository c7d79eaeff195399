/** meters: named aggregations of mediated events per account, period and dimensions. */
import type { CompileContext } from './context.js';
import type { Aggregation, FieldType, MeterIR, Period } from './ir.js';

type Raw = Record<string, unknown>;

export function compileMeters(raw: Record<string, unknown>, cx: CompileContext, scope: ReadonlyMap<string, FieldType>, defaultPeriod: Period): MeterIR[] {
  const meters: MeterIR[] = [];
  for (const [name, m] of Object.entries(raw) as [string, Raw | undefined][]) {
    if (!m) continue;
    const path = `meters.${name}`;
    const aggregation = m.aggregation as Aggregation;
    let ok = true;
    let value = null;
    if (m.value !== undefined) {
      value = cx.expr(m, 'value', path, scope) ?? null;
      if (!value) ok = false;
      else if (['sum', 'avg', 'time_weighted_sum'].includes(aggregation) && !['decimal', 'integer'].includes(value.type.kind)) {
        cx.error(m, 'value', path, 'meter_value_type', `a ${aggregation} meter needs a number value (this one is ${value.type.kind})`);
        ok = false;
      } else if (['max', 'min', 'latest'].includes(aggregation) && !['decimal', 'integer'].includes(value.type.kind)) {
        cx.error(m, 'value', path, 'meter_value_type', `a ${aggregation} meter is priced, so its value must be a number (this one is ${value.type.kind})`);
        ok = false;
      }
    } else if (aggregation !== 'count') {
      cx.error(m, '', path, 'meter_value', `a ${aggregation} meter needs a \`value\``);
      ok = false;
    }
    let filter = null;
    if (m.filter !== undefined) {
      filter = cx.expr(m, 'filter', path, scope, 'boolean') ?? null;
      if (!filter) ok = false;
    }
    const dimensions = (m.dimensions as string[] | undefined) ?? [];
    for (const d of dimensions) {
      if (!scope.has(d)) {
        cx.error(m, 'dimensions', path, 'unknown_field', `unknown dimension "${d}": dimensions are fields of the mediated events (${[...scope.keys()].join(', ')})`);
        ok = false;
      }
    }
    if (m.time_unit !== undefined && aggregation !== 'time_weighted_sum') cx.error(m, 'time_unit', path, 'time_unit_unused', '`time_unit` only applies to time_weighted_sum meters');
    if (!ok) continue;
    meters.push({
      name,
      aggregation,
      value,
      filter,
      dimensions,
      period: (m.period as Period | undefined) ?? defaultPeriod,
      scale: (m.scale as number | undefined) ?? 3,
      timeUnit: (m.time_unit as MeterIR['timeUnit'] | undefined) ?? 'hour',
    });
  }
  return meters;
}
