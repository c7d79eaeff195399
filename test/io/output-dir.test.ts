import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputDir } from '../../src/io/sinks/output-dir.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tally-outdir-'));

/** The id of a process that has exited (a finished child), so no live process owns it. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('OutputDir', () => {
  it('moves the staged files in with the manifest last, replacing an earlier run, and removes its staging folder', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'manifest.json'), 'old');
    fs.writeFileSync(path.join(dir, 'charges.csv'), 'old');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'a file of the user');
    const out = new OutputDir(dir);
    fs.writeFileSync(out.file('manifest.json'), 'new manifest');
    fs.writeFileSync(out.file('charges.csv'), 'new charges');
    const done = out.commit();
    expect(done.map((p) => path.basename(p))).toEqual(['charges.csv', 'manifest.json']);
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe('new manifest');
    expect(fs.readFileSync(path.join(dir, 'charges.csv'), 'utf8')).toBe('new charges');
    expect(fs.readdirSync(dir).sort()).toEqual(['charges.csv', 'manifest.json', 'notes.txt']);
  });

  it('a commit without a manifest (rerate, wallet exports) leaves the folder manifest alone', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'manifest.json'), 'a run');
    const out = new OutputDir(dir);
    fs.writeFileSync(out.file('adjustments.csv'), 'x');
    out.commit();
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe('a run');
  });

  it("removes this host's staging folders whose process is gone, and keeps a live process's, another host's and anything else", () => {
    const dir = tmp();
    const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
    const dead = deadPid();
    const abandoned = path.join(dir, `.tally-tmp-${host}~${dead}-abc123`);
    const live = path.join(dir, `.tally-tmp-${host}~${process.ppid}-def456`);
    // A folder shared between machines: the same process id may be running there.
    const otherHost = path.join(dir, `.tally-tmp-${host}-7~${dead}-ghi789`);
    const legacy = path.join(dir, '.tally-tmp-Xy12ab'); // an older tally's name, without a host or process id
    for (const d of [abandoned, live, otherHost, legacy]) fs.mkdirSync(path.join(d, 'inner'), { recursive: true });
    const out = new OutputDir(dir);
    expect(fs.existsSync(abandoned)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(otherHost)).toBe(true);
    expect(fs.existsSync(legacy)).toBe(true);
    expect(path.basename(out.staging).startsWith(`.tally-tmp-${host}~${process.pid}-`)).toBe(true);
    out.discard();
    expect(fs.existsSync(out.staging)).toBe(false);
  });

  it('refuses an output that is a file, with what to do', () => {
    const file = path.join(tmp(), 'out');
    fs.writeFileSync(file, '');
    expect(() => new OutputDir(file)).toThrow(/exists and is not a folder/);
  });
});
