/**
 * Snowflake query source: `snowflake://CONNECTION/DB.SCHEMA.TABLE` reads a table, `snowflake://CONNECTION` runs the
 * connection's `query`. --since/--until filter at the source on the connection's `time_column`, with the instants
 * sent as bind values (never spliced into the SQL). Rows stream from the driver into a JSONL spool file, one JSON
 * object per row keyed by column name, with numbers, dates and timestamps as Snowflake's text so no value passes
 * through a float. A failure anywhere (login, the query, the connection mid-stream) removes the partial spool and
 * fails the run whole. Connecting (settings, authentication, login, errors) is src/io/snowflake/connection.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ConnectionOptions, Connection as SfConnection, RowStatement } from 'snowflake-sdk';
import { DataError, UsageError } from '../../cli/errors.js';
import { textSetting, type Connection } from '../profile/profile.js';
import { closeSession, connectionOptions, openSession, readTimeoutSeconds, sfError } from '../snowflake/connection.js';
import { isConnectionName, splitIdentifier } from '../snowflake/identifier.js';
import type { InputFile } from './local-files.js';
import type { Fetched, Source, SourceContext } from './source.js';

export { connectionOptions, splitIdentifier };

/** Session parameters sent with the query so dates and timestamps come out in a layout DuckDB reads, to the nanosecond, with the offset. */
const OUTPUT_FORMATS = {
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM',
  TIMESTAMP_TZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS.FF9',
};

export const snowflakeSource: Source = {
  async fetch(arg: string, ctx: SourceContext): Promise<Fetched> {
    const target = parseArg(arg);
    const conn = ctx.profile.connection(target.connection, 'snowflake');
    const { sql, binds } = buildQuery(target, conn, ctx);
    const options = connectionOptions(conn);
    const readTimeout = readTimeoutSeconds(conn);
    const spool = path.join(ctx.tempDir, `snowflake-${crypto.randomUUID()}.jsonl`);
    const name = target.table ? `snowflake://${target.connection}/${target.table}` : `snowflake://${target.connection}`;
    let records: number;
    try {
      records = await runToSpool(options, sql, binds, spool, name, readTimeout);
    } catch (e) {
      fs.rmSync(spool, { force: true }); // a failed fetch leaves nothing half-written behind
      throw e;
    }
    const file: InputFile = { name, path: spool, format: 'jsonl', compression: 'none', origin: { uri: name, records } };
    return { files: [file] };
  },
};

export interface SnowflakeTarget {
  connection: string;
  /** The table as written in the argument (validated), or undefined for the connection's query. */
  table?: string;
}

/** `snowflake://CONNECTION[/DB.SCHEMA.TABLE]`, refusing anything but plain names and identifiers. */
export function parseArg(arg: string): SnowflakeTarget {
  const m = /^snowflake:\/\/([^/]*)(?:\/(.*))?$/i.exec(arg);
  const connection = m?.[1] ?? '';
  // The connection is a profile key; refusing anything else keeps a user:password@ out of messages and manifests.
  if (!isConnectionName(connection)) {
    throw new UsageError('a snowflake source is snowflake://CONNECTION/DB.SCHEMA.TABLE or snowflake://CONNECTION', 'CONNECTION names a connection of type snowflake in the profile; credentials go there, never in the argument');
  }
  const table = m?.[2];
  if (table === undefined || table === '') return { connection };
  if (splitIdentifier(table) === null) {
    throw new UsageError(
      `snowflake://${connection}/…: the table must be DB.SCHEMA.TABLE, SCHEMA.TABLE or TABLE, each part a name of letters, digits, _ and $ or a double-quoted identifier`,
      'for anything else (filters, joins, column lists) set query: on the connection in the profile',
    );
  }
  return { connection, table };
}

export function buildQuery(target: SnowflakeTarget, conn: Connection, ctx: Pick<SourceContext, 'since' | 'until'>): { sql: string; binds: string[] } {
  let base: string;
  if (target.table) {
    base = `SELECT * FROM ${target.table}`;
  } else {
    const query = textSetting(conn, 'query')?.trim().replace(/;\s*$/, '');
    if (!query) {
      throw new UsageError(`snowflake://${conn.name} names no table and connection "${conn.name}" has no query setting`, `give snowflake://${conn.name}/DB.SCHEMA.TABLE, or set query: on the connection`);
    }
    base = query;
  }
  if (!ctx.since && !ctx.until) return { sql: base, binds: [] };
  const column = textSetting(conn, 'time_column');
  if (!column) {
    // Reading everything when a window was asked for would rate the wrong events: refuse instead.
    throw new UsageError(`--since/--until filter snowflake://${conn.name} on its time_column, which connection "${conn.name}" does not set`, 'set time_column: on the connection (the column holding each event\'s time)');
  }
  const parts = splitIdentifier(column);
  if (parts === null || parts.length !== 1) {
    throw new DataError(`connection "${conn.name}": time_column must be one column name (letters, digits, _ and $) or a double-quoted identifier`);
  }
  const conditions: string[] = [];
  const binds: string[] = [];
  // The instants are UTC with a Z; TO_TIMESTAMP_TZ reads them as instants whatever the column's timestamp flavour.
  if (ctx.since) conditions.push(`${column} >= TO_TIMESTAMP_TZ(?)`), binds.push(ctx.since);
  if (ctx.until) conditions.push(`${column} < TO_TIMESTAMP_TZ(?)`), binds.push(ctx.until);
  const from = target.table ? target.table : `(${base})`;
  return { sql: `SELECT * FROM ${from} WHERE ${conditions.join(' AND ')}`, binds };
}

/** Logs in, runs the query and streams its rows into `spool`; returns the row count. */
async function runToSpool(options: ConnectionOptions, sql: string, binds: string[], spool: string, name: string, readTimeout: number): Promise<number> {
  const connection = await openSession(options, name);
  try {
    const statement = await execute(connection, sql, binds).catch((e: unknown) => {
      throw sfError(name, 'the query failed', e, 'check the table or query and the role\'s privileges');
    });
    const columns = (statement.getColumns() ?? []).map((c) => c.getName());
    const dup = columns.find((c, i) => columns.indexOf(c) !== i);
    if (dup !== undefined) throw new DataError(`${name}: the result has two columns named ${dup}`, 'give the columns distinct aliases in the query');
    const stalled = () => new DataError(`${name}: no rows arrived from Snowflake for ${readTimeout} s while reading the result (the connection was lost?)`, 'check the network to Snowflake and run again; read_timeout on the connection sets the wait');
    return await streamToFile(statement.streamRows(), columns, spool, readTimeout * 1000, stalled).catch((e: unknown) => {
      throw e instanceof DataError ? e : sfError(name, 'reading the result failed', e, 'run again; if it fails again, check the query in Snowflake');
    });
  } finally {
    await closeSession(connection);
  }
}

function execute(connection: SfConnection, sqlText: string, binds: string[]): Promise<RowStatement> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      binds,
      streamResult: true,
      parameters: OUTPUT_FORMATS,
      complete: (err, stmt) => (err ? reject(err) : resolve(stmt)),
    });
  });
}

/**
 * Rows to JSON lines with back-pressure: the row stream pauses while the file stream's buffer is full. A watchdog
 * fails the read when no row arrives for between one and two `timeoutMs` (waiting for the disk does not count).
 */
function streamToFile(rows: Readable, columns: string[], file: string, timeoutMs: number, stalled: () => Error): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file);
    let count = 0;
    let failed = false;
    let seen = -1;
    let paused = false;
    const watchdog = setInterval(() => {
      if (!paused && count === seen) fail(stalled());
      seen = count;
    }, timeoutMs);
    const fail = (e: unknown) => {
      clearInterval(watchdog);
      if (failed) return;
      failed = true;
      rows.destroy();
      // Settle once the file is closed, so the caller's removal of the spool cannot race its opening.
      out.once('close', () => reject(e));
      out.destroy();
    };
    rows.on('data', (row: unknown[]) => {
      const record: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) record[columns[i]!] = row[i] ?? null;
      count += 1;
      if (!out.write(`${JSON.stringify(record)}\n`)) {
        paused = true;
        rows.pause();
        out.once('drain', () => {
          paused = false;
          seen = -1;
          rows.resume();
        });
      }
    });
    rows.on('error', fail);
    out.on('error', fail);
    rows.on('end', () => {
      clearInterval(watchdog);
      out.end();
    });
    out.on('finish', () => {
      if (!failed) resolve(count);
    });
  });
}
