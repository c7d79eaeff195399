/** rejects.csv: every rejected row with its file, line, stage, reason and what was wrong, in file and line order. */
import type { Database } from '../../engine/duckdb/database.js';
import { quoteString } from '../../engine/duckdb/sql-types.js';
import type { InputFile } from '../sources/local-files.js';
import { EVENTS_TABLE } from '../../plan/metering-sql.js';
import type { MalformedRow } from '../../run/mediate.js';
import { INTERNAL, STATUS } from '../../stages/stage.js';

export async function writeRejects(db: Database, file: string, files: InputFile[], malformed: MalformedRow[]): Promise<void> {
  const names = files.map((f, i) => `(${i}, ${quoteString(f.name)})`).join(', ') || '(0, NULL)';
  const bad = malformed.map((m) => `(${m.file}, ${m.line}, 'read', ${quoteString(m.reason)}, ${quoteString(m.detail)})`);
  const malformedRel = bad.length
    ? `SELECT * FROM (VALUES ${bad.join(', ')}) AS m(f, line, stage, reason, detail)`
    : `SELECT NULL::INTEGER AS f, NULL::BIGINT AS line, NULL::VARCHAR AS stage, NULL::VARCHAR AS reason, NULL::VARCHAR AS detail WHERE false`;
  // The filter is on the raw outcome so it runs before the view decodes anything; after a split, one line per
  // transaction (its first part).
  const rejected = `SELECT DISTINCT ON (${INTERNAL.file}, ${INTERNAL.line}) ${INTERNAL.file} AS f, ${INTERNAL.line} AS line, ${INTERNAL.stage} AS stage,
      ${INTERNAL.reason} AS reason, ${INTERNAL.detail} AS detail
    FROM ${EVENTS_TABLE} WHERE starts_with(${INTERNAL.outcome}, '${STATUS.rejected}') ORDER BY ${INTERNAL.file}, ${INTERNAL.line}, ${INTERNAL.split}`;
  await db.run(`COPY (
    SELECT n.name AS file, r.line, r.stage, r.reason, r.detail
    FROM (SELECT * FROM (${rejected}) UNION ALL ${malformedRel}) AS r
    JOIN (VALUES ${names}) AS n(i, name) ON n.i = r.f
    ORDER BY r.f, r.line
  ) TO ${quoteString(file)} (HEADER, FORMAT csv)`);
}
