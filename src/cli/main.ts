/**
 * The tally command line: a thin commander program. Commands are imported lazily (start-up stays fast),
 * and one error boundary turns failures into exit codes: usage 2, ruleset errors 3, data or infrastructure 1.
 * Stack traces only with --debug.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, TallyError } from './errors.js';

const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('tally')
    .description('Usage mediation, metering and rating from declarative YAML rulesets.')
    .version(VERSION)
    .option('--debug', 'print stack traces of failures')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  let code: number = EXIT.ok;
  const set = (c: number) => {
    code = c;
  };

  program
    .command('run')
    .description('mediate, meter and rate usage files into charge files')
    .argument('<ruleset>', 'ruleset YAML file')
    .argument('<inputs...>', 'usage files (CSV, TSV, JSONL, Parquet; globs; .gz/.zst; - for standard input), or s3://bucket/prefix/*.csv, kafka://CONNECTION/topic, api://CONNECTION, snowflake://CONNECTION[/TABLE]')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--profile <file>', 'connection settings for remote inputs (default: $TALLY_PROFILE or ./tally.yaml when present)')
    .option('--s3-endpoint <url>', 'endpoint of an S3-compatible store (MinIO, R2, …)')
    .option('--since <instant>', 'first event time a warehouse source reads (ISO 8601, e.g. 2026-10-01T00:00:00Z)')
    .option('--until <instant>', 'event time a warehouse source reads up to, excluded')
    .addOption(new Option('--format <format>', 'charges file format').choices(['csv', 'jsonl', 'parquet']).default('csv'))
    .option('--rated-events', 'also write rated-events.parquet (each event with its allocated charge)')
    .option('--export <profile>', 'also write the lines in the import shape of a billing system: netsuite, salesforce-billing, salesforce-revenue-cloud, workday, sage-intacct, generic-csv, generic-jsonl, or a YAML profile file (repeatable, or comma-separated)', (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)])
    .option('--load <table>', 'after the run, merge its lines into a warehouse table: snowflake://CONNECTION/DB.SCHEMA.TABLE (repeatable; keyed by line id, so a repeat never duplicates)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--export-enrichment <file>', 'CSV of per-account values export profiles need (subscription or contract line ids)')
    .option('--max-reject-rate <percent>', 'fail (writing nothing) when more than this percentage of rows is rejected')
    .addOption(new Option('--engine <engine>', 'where mediation and metering run: duckdb (here) or snowflake (inside Snowflake, over one snowflake://CONNECTION/DB.SCHEMA.TABLE; only counts, rejects and lines come back)').choices(['duckdb', 'snowflake']).default('duckdb'))
    .option('--memory-limit <size>', 'DuckDB memory limit, e.g. 8GB (default: 2.5GB or half the memory, whichever is less); past it DuckDB spills to --temp-dir')
    .option('--temp-dir <dir>', 'where DuckDB spills when a run is larger than its memory limit (default: the system temp directory)')
    .option('--threads <n>', 'DuckDB threads (default: all cores)')
    .addOption(new Option('--events-store <where>', 'where the mediated events are kept: memory, disk (a compressed work file in --temp-dir), or auto: on disk when the inputs look larger than --memory-limit').choices(['auto', 'memory', 'disk']).default('auto'))
    .option('--state <file>', 'state file holding wallets, commitments and the ledger (default: $TALLY_STATE or ./tally-state.duckdb)')
    .option('--no-state', 'keep no state: no wallets or commitments, every line is overage, nothing is recorded')
    .option('--dry-run', 'apply credits and commitments but write nothing to the state')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the manifest as JSON on standard output')
    .action(async (ruleset: string, inputs: string[], opts: Record<string, unknown>) => {
      const { runCommand } = await import('./commands/run.js');
      set(await runCommand(ruleset, inputs, opts));
    });

  const { registerStateCommands } = await import('./commands/state-commands.js');
  registerStateCommands(program, set);

  program
    .command('diff')
    .description('rate the same usage with two rulesets and report the revenue impact')
    .argument('<old>', 'the current ruleset (a file, or git:REVISION:PATH)')
    .argument('<new>', 'the changed ruleset (a file, or git:REVISION:PATH)')
    .argument('<inputs...>', 'usage files, or s3://, kafka://, api://, snowflake:// sources (fetched once, rated by both)')
    .option('--profile <file>', 'connection settings for remote inputs (default: $TALLY_PROFILE or ./tally.yaml when present)')
    .option('--s3-endpoint <url>', 'endpoint of an S3-compatible store')
    .option('--since <instant>', 'first event time a warehouse source reads (ISO 8601)')
    .option('--until <instant>', 'event time a warehouse source reads up to, excluded')
    .option('--markdown', 'print Markdown, ready for a pull request')
    .option('--json', 'print JSON')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--threshold <percent>', 'report accounts whose bill moves more than this (default 10)')
    .option('--fail-over <percent>', 'exit 5 when a currency total moves more than this')
    .action(async (oldRuleset: string, newRuleset: string, inputs: string[], opts: Record<string, unknown>) => {
      const { diffCommand } = await import('./commands/diff.js');
      set(await diffCommand(oldRuleset, newRuleset, inputs, opts));
    });

  program
    .command('rerate')
    .description('rate a billed period again from its usage and write adjustments (reversing and new lines) with the wallet corrections')
    .argument('<inputs...>', 'the period\'s usage files, or s3://, api://, snowflake:// sources')
    .option('--profile <file>', 'connection settings for remote inputs (default: $TALLY_PROFILE or ./tally.yaml when present)')
    .option('--s3-endpoint <url>', 'endpoint of an S3-compatible store')
    .option('--since <instant>', 'first event time a warehouse source reads (ISO 8601)')
    .option('--until <instant>', 'event time a warehouse source reads up to, excluded')
    .requiredOption('--period <label>', 'the period, as on the lines (2026-10)')
    .option('--ruleset <ruleset>', 'the corrected ruleset (a file, or git:REVISION:PATH; default: the one the period was rated with)')
    .option('--accounts <ids>', 'only these accounts (comma-separated)')
    .addOption(new Option('--mode <mode>', 'pair: a reversing and a new line per changed line; delta: one line with the difference').choices(['pair', 'delta']).default('pair'))
    .requiredOption('-o, --out <dir>', 'output folder (adjustments.csv, summary.csv, wallet-entries.csv, balances.csv, top-ups.csv)')
    .option('--dry-run', 'compute and write the outputs, change nothing in the state')
    .option('--state <file>', 'state file (default: $TALLY_STATE or ./tally-state.duckdb)')
    .action(async (inputs: string[], opts: Record<string, unknown>) => {
      const { rerateCommand } = await import('./commands/rerate.js');
      set(await rerateCommand(inputs, opts));
    });

  program
    .command('report')
    .description('a one-page HTML summary of a run (counts, rejects, charges, top accounts, wallets)')
    .argument('<run-dir>', 'the output folder of a run')
    .requiredOption('--html <file>', 'the HTML file to write')
    .action(async (runDir: string, opts: { html: string }) => {
      const { reportCommand } = await import('./commands/report.js');
      set(reportCommand(runDir, opts));
    });

  program
    .command('validate')
    .description('check rulesets and print every problem; exit 0 when clean')
    .argument('<rulesets...>', 'ruleset YAML files')
    .action(async (rulesets: string[]) => {
      const { validateCommand } = await import('./commands/validate.js');
      set(validateCommand(rulesets));
    });

  program
    .command('test')
    .description('run the expectations that live beside each ruleset (NAME.tests.yaml)')
    .argument('[rulesets...]', 'ruleset YAML files (default: every ruleset under rulesets/ with a tests file)')
    .action(async (rulesets: string[]) => {
      const { testCommand } = await import('./commands/test.js');
      set(await testCommand(rulesets));
    });

  program
    .command('explain')
    .description('show the compiled plan as readable steps')
    .argument('<ruleset>', 'ruleset YAML file')
    .option('--sql', 'also print the SQL each step runs')
    .option('--engine <name>', 'SQL engine of --sql: duckdb (default) or snowflake (pushdown script over a source table)')
    .action(async (ruleset: string, opts: { sql?: boolean; engine?: string }) => {
      const { explainCommand } = await import('./commands/explain.js');
      set(await explainCommand(ruleset, opts));
    });

  program
    .command('schema')
    .description('print the JSON Schema of rulesets (for editors)')
    .action(async () => {
      const { rulesetJsonSchema } = await import('../ruleset/json-schema.js');
      process.stdout.write(`${JSON.stringify(rulesetJsonSchema(), null, 2)}\n`);
    });

  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const debug = argv.includes('--debug');
    if (e instanceof TallyError) {
      process.stderr.write(`tally: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    process.stderr.write(`tally: unexpected failure: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n  run again with --debug for details\n`);
    if (debug) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return EXIT.failure;
  }
}
