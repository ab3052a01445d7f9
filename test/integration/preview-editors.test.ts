import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createPreviewApp } from '../../src/preview/preview-app.js';
import { assertSafeBinding } from '../../src/preview/hosts.js';
import { loadConfig } from '../../src/config/load.js';
import { hashPassword, verifyPassword } from '../../src/domain/password-hash.js';
import { openDueDrafts } from '../../src/service/review.js';
import type { App } from '../../src/app.js';
import type { Logger } from '../../src/domain/logger.js';
import { makeProject, TEST_ENV, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

const FORM = 'application/x-www-form-urlencoded';
const INES = 'ines has a long passphrase';
const MARC = 'marc prefers another one';
const TOKEN = 'editor-token-0123456789abcdef';
const host = 'preview.news.example.org';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** `newsletter editors hash` with the password piped in. */
function hashCli(password: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'editors', 'hash'], { env: { ...process.env, ...TEST_ENV } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(`${password}\n`);
  });
}

describe('editor accounts: each editor signs in by name, and their edits carry it', () => {
  let hashes: { ines: string; marc: string };
  let project: TestProject;
  let app: App;
  let web: Hono<any>;
  let logger: ReturnType<typeof recordingLogger>;
  const clock = fixedClock('2026-11-29T12:00:00Z');
  const env = { ...TEST_ENV, EDITOR_TOKEN: TOKEN };

  beforeAll(async () => {
    hashes = { ines: await hashPassword(INES), marc: await hashPassword(MARC) };
  });
  beforeEach(async () => {
    clock.set('2026-11-29T12:00:00Z');
    project = makeProject({
      config: (y) =>
        y
          .replace(
            'newsletters:',
            `preview:\n  allowedHosts: [${host}]\n  editors:\n    - { name: Inès, passwordHash: "${hashes.ines}" }\n    - { name: Marc, passwordHash: "${hashes.marc}" }\n\nnewsletters:`,
          )
          .replace('    catchUpGrace: 6h\n', '    catchUpGrace: 6h\n    review:\n      mode: required\n      opensBefore: 8d\n'),
    });
    logger = recordingLogger();
    app = await openTestApp(project, { env, clock, logger });
    web = createPreviewApp(app, { env });
  });
  afterEach(async () => {
    await app.close();
    project.cleanup();
  });

  const from = (client: string) => ({ incoming: { socket: { remoteAddress: client } } });
  const tokenOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const signIn = async (name: string, password: string) =>
    web.request(
      '/sign-in',
      {
        method: 'POST',
        headers: { host, origin: `http://${host}`, 'content-type': FORM },
        body: new URLSearchParams({ name, password, csrf: tokenOf(await (await web.request('/sign-in', { headers: { host } })).text()), next: '/issues' }).toString(),
      },
      from('192.0.2.1'),
    );
  const cookieOf = (res: Response) => /^preview_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';

  it('asks for name and password; a wrong password or an unknown name gets nothing; the right pair signs in as that editor', async () => {
    expect(await (await web.request('/sign-in', { headers: { host } })).text()).toContain('name="name"');
    for (const [name, pw] of [
      ['Inès', MARC],
      ['Nobody', INES],
      ['', INES],
    ] as const) {
      const res = await signIn(name, pw);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('set-cookie'), name).toBeNull();
      expect(await res.text()).toContain('Wrong name or password.');
    }
    const ok = await signIn('inès', INES);
    expect(ok.status).toBe(303);
    const cookie = `preview_session=${cookieOf(ok)}`;
    const page = await (await web.request('/n/weekly-brief', { headers: { host, cookie } })).text();
    expect(page).toContain('Signed in as Inès');
    const all = logger.lines.join('\n');
    expect(all).toContain('"editor":"Inès"');
    for (const secret of [INES, MARC, hashes.ines, cookieOf(ok), TOKEN]) expect(all).not.toContain(secret);
  });

  it('records each edit under the editor who made it; a forged post changes nothing; a script\'s bearer token acts as "token"', async () => {
    const [opened] = await openDueDrafts(app, clock.now());
    const id = opened!.issue!.id;
    const article = opened!.issue!.articles[1]!.id;
    const cookie = `preview_session=${cookieOf(await signIn('Marc', MARC))}`;
    const csrf = tokenOf(await (await web.request(`/n/weekly-brief?issue=${id}`, { headers: { host, cookie } })).text());
    const edit = (headers: Record<string, string>, body: Record<string, string>) =>
      web.request(`/issues/${id}/edit`, { method: 'POST', headers: { host, 'content-type': FORM, ...headers }, body: new URLSearchParams(body).toString() }, from('192.0.2.9'));

    // Forged: another origin, no token, a token of no session, or no session at all.
    expect((await edit({ cookie, origin: 'http://attacker.example' }, { action: 'pin', article, csrf })).status).toBe(403);
    expect((await edit({ cookie, origin: `http://${host}` }, { action: 'pin', article })).status).toBe(403);
    expect((await edit({ cookie, origin: `http://${host}`, 'sec-fetch-site': 'cross-site' }, { action: 'pin', article, csrf })).status).toBe(403);
    expect((await edit({ origin: `http://${host}` }, { action: 'pin', article, csrf })).status).toBe(401);
    expect((await edit({ authorization: 'Bearer wrong-token-0123456789abcdef' }, { action: 'pin', article })).status).toBe(401);
    expect(await app.store.issueEdits(id)).toEqual([]);

    const byMarc = await edit({ cookie, origin: `http://${host}` }, { action: 'pin', article, csrf });
    expect(byMarc.status).toBe(303);
    expect(byMarc.headers.get('location')).toContain('sent=Saved');
    const byScript = await edit({ authorization: `Bearer ${TOKEN}` }, { action: 'note', locale: 'en', text: 'From the build.' });
    expect(byScript.status).toBe(303);
    expect((await app.store.issueEdits(id)).map((e) => e.editor)).toEqual(['Marc', 'token']);
    const listed = await web.request('/issues', { headers: { host, authorization: `Bearer ${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain(`/issues/${id}`);
  });
});

describe('editor accounts: configuration and `newsletter editors hash`', () => {
  let project: TestProject;
  afterAll(() => project?.cleanup());

  it('names the key of a bad hash, a repeated name or a short EDITOR_TOKEN', () => {
    const load = (editors: string, extra: Record<string, string> = {}) => {
      project?.cleanup();
      project = makeProject({ config: (y) => y.replace('newsletters:', `preview:\n  editors:\n${editors}\n\nnewsletters:`) });
      return () => loadConfig({ file: project.configFile, env: { ...TEST_ENV, ...extra } });
    };
    expect(load('    - { name: Inès, passwordHash: "hunter2" }')).toThrow(/preview\.editors\[0\]\.passwordHash: is not a password hash.*make one with `newsletter editors hash`/s);
    const h = `scrypt$32768$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;
    expect(load(`    - { name: Inès, passwordHash: "${h}" }\n    - { name: inès, passwordHash: "${h}" }`)).toThrow(/preview\.editors\[1\]\.name: "inès" is listed twice/s);
    expect(load(`    - { name: Inès, passwordHash: "${h}" }`, { EDITOR_TOKEN: 'short' })).toThrow(/EDITOR_TOKEN.*24 characters/s);
    // Editors (or a token) are enough to listen beyond loopback.
    expect(() => assertSafeBinding('0.0.0.0', undefined, [{ name: 'x' }])).not.toThrow();
    expect(() => assertSafeBinding('0.0.0.0', undefined, [], TOKEN)).not.toThrow();
    expect(() => assertSafeBinding('0.0.0.0', undefined, [])).toThrow(/preview\.editors/);
  });

  it('`editors hash` reads the password from standard input and prints a hash that verifies; a short one exits 2', async () => {
    const made = await hashCli('a passphrase of some length');
    expect(made.code, made.stderr).toBe(0);
    expect(await verifyPassword('a passphrase of some length', made.stdout.trim())).toBe(true);
    const short = await hashCli('short');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
    expect((await runCli(['editors', 'hash', '--help'])).stdout).toMatch(/standard input/);
  });
});
