import { afterEach, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { ArchivePages, webVersionRenderer, type RenderPage } from '../../src/http/archive-pages.js';
import { sendNewsletter } from '../../src/service/send-issue.js';
import type { App } from '../../src/app.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { fixedClock, openTestApp } from '../helpers/app.js';

let project: TestProject | undefined;
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  project?.cleanup();
  app = project = undefined;
});

it('renders an archive page once per (issue, language): 100 requests at once share one render, and later ones none', async () => {
  project = makeProject();
  app = await openTestApp(project, { clock: fixedClock('2026-11-28T12:00:00Z') });
  await sendNewsletter(app, app.config.newsletters[0]!);
  // The real renderer (MJML compile included), counted from outside the cache.
  const real = webVersionRenderer(app.config.paths.templates, app.config.publicUrl);
  const rendered: string[] = [];
  const render: RenderPage = (issue, newsletter, locale) => (rendered.push(`${issue.id} ${locale}`), real(issue, newsletter, locale));
  const pages = new ArchivePages(render, 2);
  const http = createHttpApp({ store: app.store, config: app.config, clock: app.clock, logger: app.logger, transport: app.transport }, pages);
  const get = (lang: string) => http.request(`/archive/weekly-brief/issues/1?lang=${lang}`);

  const answers = await Promise.all(Array.from({ length: 100 }, () => get('fr')));
  expect(answers.every((r) => r.status === 200)).toBe(true);
  const bodies = new Set(await Promise.all(answers.map((r) => r.text())));
  expect(bodies.size).toBe(1);
  expect([...bodies][0]).toContain('lang="fr"');
  expect(rendered).toEqual(['1 fr']);
  expect(pages.renders).toBe(1);
  await Promise.all(Array.from({ length: 20 }, () => get('fr')));
  expect(rendered).toEqual(['1 fr']);

  // Another language is another page; past `max` pages the least recently asked goes.
  expect((await get('en')).status).toBe(200);
  expect((await get('ar')).status).toBe(200);
  expect(rendered).toEqual(['1 fr', '1 en', '1 ar']);
  await get('ar');
  await get('fr');
  expect(rendered).toEqual(['1 fr', '1 en', '1 ar', '1 fr']);
  expect(pages.renders).toBe(4);
});

it('keeps no failed render: the next request renders again', async () => {
  project = makeProject();
  app = await openTestApp(project, { clock: fixedClock('2026-11-28T12:00:00Z') });
  await sendNewsletter(app, app.config.newsletters[0]!);
  let fail = true;
  const real = webVersionRenderer(app.config.paths.templates, app.config.publicUrl);
  const pages = new ArchivePages(async (...args) => {
    if (fail) throw new Error('template broken for a moment');
    return real(...args);
  });
  const issue = (await app.store.getIssue(1))!;
  const n = app.config.newsletters[0]!;
  await expect(pages.get(issue, n, 'en')).rejects.toThrow(/broken/);
  fail = false;
  expect(await pages.get(issue, n, 'en')).toContain('<html');
  expect(pages.renders).toBe(2);
});
