import { afterEach, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capturedRecipients } from '../helpers/captured.js';
import { makeProject, REPO, type TestProject } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

/** The sample list with what CRM exports carry: a stray quote, an unclosed one, binary junk. */
const PINNED_AT = '2026-11-28T12:00:00Z';
let project: TestProject | undefined;
afterEach(() => project?.cleanup());

const delivered = capturedRecipients;

it('`send` with a list holding a stray quote, an unclosed quote and binary junk: the bad rows reported at file:line, everyone else mailed, exit 0', async () => {
  project = makeProject();
  const list = join(project.dir, 'subscribers', 'weekly-brief.csv');
  const sample = readFileSync(join(REPO, 'subscribers', 'weekly-brief.csv'));
  writeFileSync(
    list,
    Buffer.concat([
      sample,
      Buffer.from('rock@example.org,Dwayne "The Rock" Johnson,en,,subscribed,2026-01-01T00:00:00Z,crm,\n'),
      Buffer.from('open@example.org,"Open Quote,en,,subscribed,2026-01-01T00:00:00Z,crm,\n'),
      Buffer.from([0x00, 0xff, 0xfe, 0x0a]),
      Buffer.from('late@example.org,Late Reader,en,,subscribed,2026-01-01T00:00:00Z,crm,\n'),
    ]),
  );
  const send = await runCli(['send', '--at', PINNED_AT, '--config', project.configFile]);
  expect(send.code, send.stderr).toBe(0);
  expect(send.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(send.stderr).toContain(`${list}:13: not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped`);
  expect(send.stderr).toContain(
    `${list}:14: not a valid CSV row (holds NUL or bytes that are not UTF-8 text (binary data, or a file saved as Windows-1252 or Latin-1: save it as "CSV UTF-8")); row skipped`,
  );
  expect(await delivered(project.dir)).toEqual(['ada@example.com', 'camille@example.fr', 'grace@example.com', 'jean.dupont@example.fr', 'late@example.org', 'layla@example.net', 'rock@example.org']);
}, 30_000);

it('`send` with a list separated by ";": says so at line 1, applies none of it, mails no one', async () => {
  project = makeProject();
  const list = join(project.dir, 'subscribers', 'weekly-brief.csv');
  writeFileSync(list, readFileSync(join(REPO, 'subscribers', 'weekly-brief.csv'), 'utf8').replace(/,/g, ';'));
  const send = await runCli(['send', '--at', PINNED_AT, '--config', project.configFile]);
  expect(send.stderr).toContain(`${list}:1: the columns are separated by ";"; list files use commas`);
  expect(send.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(send.stderr).toMatch(/recipients 0/);
  expect(existsSync(join(project.dir, 'data', 'mail')) ? await delivered(project.dir) : []).toEqual([]);
}, 30_000);
