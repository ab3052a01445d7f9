import { afterEach, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, type TestProject } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

let project: TestProject | undefined;
afterEach(() => project?.cleanup());

it('a first run keeps what it writes to its owner: data/ and the mail folders 0700; the store, its WAL and every captured message 0600', async () => {
  project = makeProject();
  // No NEWSLETTER_SECRET: the generated secret is written too.
  const send = await runCli(['send', '--at', '2026-11-28T12:00:00Z', '--config', project.configFile], { env: { NEWSLETTER_SECRET: '' } });
  expect(send.code, send.stderr).toBe(0);
  const data = join(project.dir, 'data');
  const mode = (p: string) => statSync(p).mode & 0o777;
  const all = readdirSync(data, { recursive: true, encoding: 'utf8' }).map((f) => join(data, f));
  expect(mode(data)).toBe(0o700);
  const folders = all.filter((p) => statSync(p).isDirectory());
  const files = all.filter((p) => !statSync(p).isDirectory());
  expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(5);
  expect(files.some((f) => f.endsWith('secret'))).toBe(true);
  for (const d of folders) expect(mode(d), d).toBe(0o700);
  for (const f of files) expect(mode(f), f).toBe(0o600);
}, 30_000);
