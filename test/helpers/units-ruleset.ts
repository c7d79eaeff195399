/**
 * The smallest ruleset the end-to-end tests of billing build on: events (event_id, account_id, ts, units), a
 * `units` sum meter, and whatever prices (and extra meters, fields and dimensions of `units`) the test gives, as YAML text.
 */
export function unitsRuleset(name: string, prices: string, extraMeters = '', opts: { extraFields?: string; dimensions?: string } = {}): string {
  return `version: 1
name: ${name}
input:
  fields:
    event_id: { type: string }
    account_id: { type: string }
    ts: { type: timestamp }
    units: { type: "decimal(18,3)" }
${opts.extraFields ?? ''}  event_id: event_id
  event_time: ts
billing:
  account: account_id
meters:
  units: { aggregation: sum, value: units${opts.dimensions ? `, dimensions: ${opts.dimensions}` : ''} }
${extraMeters}prices:
${prices}`;
}
