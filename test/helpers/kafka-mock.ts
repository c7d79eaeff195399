/**
 * librdkafka's mock cluster on loopback, started through Debian's kcat: `-X test.mock.num.brokers=1` makes
 * kcat's own client start an in-process cluster that speaks the real Kafka protocol on a free loopback port,
 * and replace its bootstrap servers (the -b given is ignored) with it. librdkafka announces that at notice level:
 *   %5|…|MOCK|rdkafka#producer-1| [thrd:app]: Mock cluster enabled: original bootstrap.servers and
 *   security.protocol ignored and replaced with 127.0.0.1:43823
 * kcat runs as a producer reading standard input, so the cluster lives as long as that pipe is open: should the
 * test process die without stopping it, kcat sees end of input and exits instead of lingering.
 *
 * What the mock cluster does differently from Kafka (librdkafka 2.0.2): it has no CreateTopics, and creates any
 * topic named in a Metadata request, with 4 partitions.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const KCAT = '/usr/bin/kcat';

/** Why the Kafka tests cannot run here, or null when they can (CI installs kcat, so there it is always null). */
export function kafkaMockUnavailable(): string | null {
  const r = spawnSync(KCAT, ['-V'], { encoding: 'utf8' });
  return r.error ? `kcat is not installed (${KCAT}): apt-get install kcat` : null;
}

export interface KafkaMock {
  /** host:port of the mock broker. */
  bootstrap: string;
  /** Resolves when librdkafka logs a line matching `re` (only with `debug: true`, which logs every request). */
  waitForLog(re: RegExp): Promise<void>;
  /** Kills the cluster at once, as a broker crash would: connections are closed. */
  kill(): Promise<void>;
  /** Suspends the cluster (SIGSTOP), as a hung broker or a partitioned network would: connections stay open, unanswered. */
  freeze(): void;
  /** Stops the cluster (after kill too: then it only waits). */
  stop(): Promise<void>;
}

export async function startKafkaMock({ debug = false } = {}): Promise<KafkaMock> {
  const args = ['-P', '-b', '127.0.0.1:1', '-t', '__tally_mock', '-X', 'test.mock.num.brokers=1', ...(debug ? ['-d', 'mock'] : [])];
  const child: ChildProcess = spawn(KCAT, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log = (log + d).slice(-64_000); // keep the tail: with debug, every request is logged
    for (const w of [...watchers]) if (w.re.test(log)) (watchers.splice(watchers.indexOf(w), 1), w.resolve());
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kcat did not start a mock cluster within 10 s: ${log}`)), 10_000);
    const found = () => {
      const m = /replaced with (\S+)/.exec(log); // the listener above has already appended the chunk
      if (m) (clearTimeout(timer), child.stderr!.off('data', found), resolve(m[1]!));
    };
    child.stderr!.on('data', found);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`kcat exited (${code}) before the mock cluster started: ${log}`))));
  });

  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (running()) child.kill('SIGKILL');
    await exited;
  };
  return {
    bootstrap,
    waitForLog: (re) => (re.test(log) ? Promise.resolve() : new Promise((resolve) => watchers.push({ re, resolve }))),
    kill,
    freeze: () => void child.kill('SIGSTOP'),
    async stop() {
      // kcat -P ignores SIGTERM while it waits for input; end of input makes it exit (killed if it lingers).
      child.stdin!.end();
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
