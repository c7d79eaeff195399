/**
 * `tally run` on a Snowflake table, end to end through the CLI: the real snowflake-sdk driver logs in with a key
 * pair and streams the rows from a loopback server speaking its protocol (test/helpers/snowflake-server.ts;
 * no Snowflake emulator exists here, so the server answers with the rows a table would hold). The charges equal
 * those of the same rows read from a local file.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tally, tempDir, write } from '../helpers/cli.js';
import { boundRows, SnowflakeServer, statementAnswer } from '../helpers/snowflake-server.js';

const run = promisify(execFile);
const RULESET = 'rulesets/examples/cloud-api.yaml';

describe('tally run snowflake://', () => {
  let server: SnowflakeServer;
  let dir: string;
  let keyFile: string;
  beforeAll(async () => {
    dir = tempDir();
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyFile = write(dir, 'key.p8', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const rows = parse(fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv')), { columns: false, from_line: 2 }) as string[][];
    const header = fs.readFileSync(path.join(ROOT, 'fixtures/usage/cloud-api.csv'), 'utf8').split('\n')[0]!.split(',');
    server = await new SnowflakeServer({
      account: 'XY12345',
      users: { TALLY: { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() } },
      // A SELECT gets the table's rows; the sink's statements (CREATE, BEGIN, INSERT, MERGE, COMMIT) their status.
      answer: (q) => (/^\s*SELECT/i.test(q.sqlText)
        ? { columns: header.map((name) => ({ name, type: 'text' as const })), rows: rows.map((r) => r.map((v) => (v === '' ? null : v))) }
        : statementAnswer(q, { inserted: 0, updated: 0 })),
    }).start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('rates the rows of a table as it rates the same rows from a file, secrets kept out of the outputs', async () => {
    const profile = write(dir, 'tally.yaml', `connections:
  warehouse:
    type: snowflake
    access_url: ${server.url}
    account: XY12345
    username: TALLY
    private_key: { file: ${keyFile} }
    warehouse: BILLING_WH
    database: USAGE
    schema: RAW
`);
    const out = path.join(dir, 'sf');
    await run(process.execPath, [path.join(ROOT, 'bin/tally.js'), 'run', RULESET, 'snowflake://warehouse/USAGE.RAW.EVENTS', '--profile', profile, '--out', out, '--no-state', '-q'], { cwd: ROOT });
    expect(server.queries.map((q) => q.sqlText)).toContain('SELECT * FROM USAGE.RAW.EVENTS');
    const local = tally(['run', RULESET, 'fixtures/usage/cloud-api.csv', '--out', path.join(dir, 'local'), '-q']);
    expect(local.code, local.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'charges.csv'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'local/charges.csv'), 'utf8'));
    const manifest = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    expect(manifest).toContain('snowflake://warehouse/USAGE.RAW.EVENTS');
    expect(manifest).not.toContain('PRIVATE KEY');
  });

  it("--load merges the run's lines into a Snowflake table, keyed by line id", async () => {
    const profile = write(dir, 'load.yaml', `connections:
  warehouse: { type: snowflake, access_url: "${server.url}", account: XY12345, username: TALLY, private_key: { file: "${keyFile}" } }
`);
    const out = path.join(dir, 'load');
    server.queries.length = 0;
    await run(process.execPath, [path.join(ROOT, 'bin/tally.js'), 'run', RULESET, 'fixtures/usage/cloud-api.csv', '--profile', profile, '--out', out, '--no-state', '-q',
      '--load', 'snowflake://warehouse/BILLING.PUBLIC.CHARGES'], { cwd: ROOT });
    const verbs = server.queries.map((q) => /^\s*(\w+)/.exec(q.sqlText)![1]!.toUpperCase());
    expect(verbs).toEqual(['CREATE', 'CREATE', 'BEGIN', 'INSERT', 'MERGE', 'COMMIT']);
    const staged = boundRows(server.queries.find((q) => /^\s*INSERT/i.test(q.sqlText))!);
    const charges = parse(fs.readFileSync(path.join(out, 'charges.csv')), { columns: true }) as Record<string, string>[];
    expect(staged).toHaveLength(charges.length);
    expect(new Set(staged.map((r) => r[0])).size).toBe(charges.length); // one row per line id
  });
});

