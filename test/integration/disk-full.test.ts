import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, type TestProject } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

/**
 * A full disk, for real: the data folder (or the store) on a small tmpfs filled to the brim
 * (the tests run as root, as CI does on this project's machines).
 */
const PINNED_AT = '2026-11-28T12:00:00Z'; // the sample list's first issue: slot Mon 2026-11-23
const NEXT_WEEK = '2026-12-05T12:00:00Z';

describe('a full disk', () => {
  let project: TestProject | undefined;
  let mounted: string | undefined;
  afterEach(() => {
    if (mounted) execFileSync('umount', [mounted]);
    project?.cleanup();
    project = mounted = undefined;
  });

  /** A tmpfs of `kib` KiB at DIR inside the project. */
  const mount = (dir: string, kib: number) => {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]);
    mounted = dir;
  };
  /** Fills the file system of `dir` until a write fails for lack of space; bounded by its size. */
  const fill = (dir: string) => {
    const chunk = Buffer.alloc(4096, 1);
    for (let i = 0; i < 100_000; i++) {
      try {
        writeFileSync(join(dir, `filler-${i}`), chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw e;
      }
    }
    throw new Error(`${dir} never filled up`);
  };
  const unfill = (dir: string) => {
    for (const f of readdirSync(dir)) if (f.startsWith('filler-')) rmSync(join(dir, f));
  };
  /** Every line a person reads: no stack frames, no "unexpected error". */
  const noStack = (stderr: string) => {
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/unexpected error/);
  };

  it('capture: one line naming the mail folder, no .eml (whole or partial) for anyone, every reader still to send; once freed, retry sends each reader once', async () => {
    project = makeProject();
    const data = join(project.dir, 'data');
    mount(data, 512);
    fill(data);
    const env = { DATABASE_URL: join(project.dir, 'store.db') };
    const send = await runCli(['send', '--at', PINNED_AT, '--config', project.configFile], { env });
    expect(send.code, send.stderr).toBe(1);
    noStack(send.stderr);
    expect(send.stderr).toContain(`the disk holding ${join(data, 'mail')} is full (ENOSPC)`);
    const mail = join(data, 'mail');
    /** Every file under the mail folder (one folder per newsletter), folders left out. */
    const files = (): string[] => {
      try {
        return readdirSync(mail, { recursive: true, encoding: 'utf8' }).filter((f) => !statSync(join(mail, f)).isDirectory());
      } catch {
        return [];
      }
    };
    expect(files()).toEqual([]);
    const report = JSON.parse((await runCli(['report', '--json', '--config', project.configFile], { env })).stdout) as { counts: Record<string, number> }[];
    expect(report[0]!.counts).toMatchObject({ sent: 0, unknown: 0, sending: 0 });
    expect(report[0]!.counts.deferred! + report[0]!.counts.queued!).toBe(5);

    unfill(data);
    const retry = await runCli(['retry', '--issue', '1', '--config', project.configFile], { env });
    expect(retry.code, retry.stderr).toBe(0);
    const eml = files().filter((f) => f.endsWith('.eml'));
    expect(eml).toHaveLength(5);
    expect(files().filter((f) => !f.endsWith('.eml'))).toEqual([]);
    // Readers' addresses and live links: for the owner's eyes only.
    expect(statSync(mail).mode & 0o777).toBe(0o700);
    expect(statSync(join(mail, 'weekly-brief')).mode & 0o777).toBe(0o700);
    for (const f of eml) expect(statSync(join(mail, f)).mode & 0o777, f).toBe(0o600);
  }, 60_000);

  // Quite full: the store opens, the write of the next issue fails (SQLite rolls its transaction
  // back itself). Full to the last byte: the store cannot even open.
  it.each([{ left: 32 }, { left: 0 }])(
    'store with $left KiB left: one line naming the store file, exit 2; once freed, the next send goes on and mails each reader once',
    async ({ left }) => {
      // An article for the next week's issue.
      project = makeProject({
        articles: {
          'grid.md':
            '---\nid: grid-storage\ntitle: Grid batteries carried a winter evening peak\ndate: 2026-11-25\nlang: en\ntopics: [climate]\nsummary: For two hours, batteries covered a fifth of the peak.\n---\n\nThe operator says it is a first.\n',
        },
      });
      const db = join(project.dir, 'db');
      mount(db, 2048);
      const env = { DATABASE_URL: join(db, 'store.db') };
      const first = await runCli(['send', '--at', PINNED_AT, '--config', project.configFile], { env });
      expect(first.code, first.stderr).toBe(0);
      expect(statSync(join(db, 'store.db')).mode & 0o777).toBe(0o600);
      // The store and its WAL: full before the next issue is written.
      fill(db);
      for (const f of readdirSync(db)
        .filter((x) => x.startsWith('filler-'))
        .slice(0, left / 4))
        rmSync(join(db, f));
      const second = await runCli(['send', '--at', NEXT_WEEK, '--config', project.configFile], { env });
      expect(second.code, second.stderr).toBe(2);
      noStack(second.stderr);
      expect(second.stderr).toMatch(new RegExp(`${join(db, 'store.db').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the disk holding the store is full`));

      unfill(db);
      const again = await runCli(['send', '--at', NEXT_WEEK, '--config', project.configFile, '--json'], { env });
      expect(again.code, again.stderr).toBe(0);
      for (const issue of ['1', '2']) {
        const r = JSON.parse((await runCli(['report', '--json', '--issue', issue, '--config', project.configFile], { env })).stdout) as { counts: Record<string, number> };
        expect(r.counts, `issue ${issue}`).toMatchObject({ sent: 5, unknown: 0, sending: 0, queued: 0, deferred: 0 });
      }
    },
    60_000,
  );
});
