import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLocale, renderForReader } from '../../src/render/pipeline.js';
import { readTemplateFiles } from '../../src/render/template-files.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Issue } from '../../src/domain/types.js';
import { NewsletterError } from '../../src/domain/errors.js';
import { makeProject, type TestProject } from '../helpers/project.js';

const evilTitle = '<script>alert(1)</script> {{newsletter.name}} & "quotes"';

function issue(): Issue {
  return {
    id: 7,
    newsletterId: 'weekly-brief',
    slot: '2026-11-23T07:00:00.000Z',
    window: { start: null, end: '2026-11-23T07:00:00.000Z' },
    createdAt: '2026-11-23T07:00:00.000Z',
    articles: [
      { id: 'evil', title: evilTitle, publishedAt: '2026-11-20T00:00:00.000Z', topics: [], excerpt: 'An excerpt with <b>tags</b>', paragraphs: [], origin: 'evil.md', translations: {} },
      {
        id: 'two',
        title: 'Second story',
        url: 'https://example.org/two?a=1&b=2',
        publishedAt: '2026-11-19T00:00:00.000Z',
        topics: [],
        excerpt: 'Second excerpt',
        paragraphs: [],
        origin: 'two.md',
        translations: { fr: { id: 'two-fr', title: 'Deuxième article', publishedAt: '2026-11-19T00:00:00.000Z', topics: [], excerpt: 'Extrait', paragraphs: [], origin: 'two.fr.md', lang: 'fr' } },
      },
    ],
  };
}

describe('render pipeline', () => {
  let project: TestProject;
  beforeEach(() => {
    project = makeProject();
  });
  afterEach(() => project.cleanup());

  const setup = () => {
    const config = parseConfigText(readFileSync(project.configFile, 'utf8'), project.configFile);
    return { newsletter: config.newsletters[0]!, files: () => readTemplateFiles(join(project.dir, 'templates'), 'default') };
  };

  it('escapes article text: a <script> or {{...}} in a title shows as text, and reader values are escaped in HTML only', async () => {
    const { newsletter, files } = setup();
    const r = await renderLocale({ issue: issue(), newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' });
    const out = renderForReader(r, { name: '<Ada & Co>', email: 'ada@example.com', unsubscribeUrl: 'https://n.test/u/tok?x=1&y=2', preferencesUrl: 'https://n.test/p/t' });
    expect(out.html).not.toContain('<script>alert(1)</script>');
    expect(out.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.html).toContain('{{newsletter.name}}'); // not evaluated
    expect(out.html).toContain('Hello &lt;Ada &amp; Co&gt;,');
    expect(out.html).toContain('href="https://n.test/u/tok?x=1&amp;y=2"');
    expect(out.text).toContain('Hello <Ada & Co>,');
    expect(out.text).toContain('<script>alert(1)</script>'); // plain text shows it as the title reads
    expect(out.text).toContain('https://n.test/u/tok?x=1&y=2');
    expect(out.html).not.toMatch(/@@NLR_/);
    expect(out.text).not.toMatch(/@@NLR_/);
    expect(out.subject).toBe('The Weekly Brief: 2 new articles · November 23, 2026');
  });

  it("minifies the compiled HTML (MJML's own minifier, CSS left as written): no indentation, the hidden preheader still neutral", async () => {
    const { newsletter, files } = setup();
    const r = await renderLocale({ issue: issue(), newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' });
    const { html } = renderForReader(r, { name: 'Ada', email: 'ada@example.com', unsubscribeUrl: 'https://n.test/u/t', preferencesUrl: 'https://n.test/p/t' });
    // Indented markup is about a quarter of MJML's output; every byte is paid per reader on the wire.
    const body = html.slice(html.indexOf('<body'));
    expect(body).not.toMatch(/\n[ \t]{2,}</);
    expect(html).toContain('mso-hide:all');
    expect(html).toContain('<!--[if mso | IE]>'); // Outlook's conditional markup survives
    expect(html).toContain('Hello Ada,');
  });

  it('renders each locale in its own words when the locales share one set of template files (compiled once)', async () => {
    const { newsletter, files } = setup();
    const shared = files();
    const [en, fr, en2] = await Promise.all(['en', 'fr', 'en'].map((locale) => renderLocale({ issue: issue(), newsletter, locale, files: shared, publicUrl: 'https://n.test' })));
    const html = (r: typeof en) => renderForReader(r!, { name: 'Ada', email: 'ada@example.com', unsubscribeUrl: 'https://n.test/u/t', preferencesUrl: 'https://n.test/p/t' }).html;
    expect(html(fr)).toContain('Lire la suite');
    expect(html(fr)).toContain('Bonjour Ada,');
    expect(html(en)).not.toContain('Lire la suite');
    expect(html(en)).toContain('Hello Ada,');
    expect(html(en2)).toBe(html(en));
  });

  it('uses ICU plurals per locale, the translation for the reader language, and RTL for Arabic', async () => {
    const { newsletter, files } = setup();
    const one = { ...issue(), articles: [issue().articles[1]!] };
    const en = await renderLocale({ issue: one, newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' });
    expect(en.subject).toContain('1 new article ·');
    const fr = await renderLocale({ issue: issue(), newsletter, locale: 'fr', files: files(), publicUrl: 'https://n.test' });
    const frOut = renderForReader(fr, { name: '', email: 'x@example.com', unsubscribeUrl: 'https://n.test/u/t', preferencesUrl: 'https://n.test/p/t' });
    expect(frOut.subject).toContain('2 nouveaux articles');
    expect(frOut.text).toContain('Bonjour,'); // no name: the anonymous greeting
    expect(frOut.html).toContain('Deuxième article');
    expect(frOut.html).not.toContain('Second story');
    const ar = await renderLocale({ issue: issue(), newsletter, locale: 'ar', files: files(), publicUrl: 'https://n.test' });
    expect(ar.dir).toBe('rtl');
    const arOut = renderForReader(ar, { name: 'ليلى', email: 'l@example.net', unsubscribeUrl: 'https://n.test/u/t', preferencesUrl: 'https://n.test/p/t' });
    expect(arOut.html).toMatch(/<html[^>]*dir="rtl"/);
    expect(arOut.html).toMatch(/text-align:right/);
    expect(arOut.subject).toContain('مقالان جديدان'); // the Arabic dual
  });

  it('reports a misspelt variable with the partial file and line, and a missing locale key falls back and is reported', async () => {
    const { newsletter, files } = setup();
    const footer = join(project.dir, 'templates', 'default', 'partials', 'footer.hbs');
    writeFileSync(footer, readFileSync(footer, 'utf8').replace('{{newsletter.postalAddress}}', '{{newsletter.postalAdress}}'));
    const err = await renderLocale({ issue: issue(), newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NewsletterError);
    expect((err as Error).message).toMatch(/footer\.hbs:\d+: unknown variable in \{\{newsletter\.postalAdress\}\}/);

    writeFileSync(footer, readFileSync(footer, 'utf8').replace('{{newsletter.postalAdress}}', '{{newsletter.postalAddress}}'));
    const frFile = join(project.dir, 'templates', 'locales', 'fr.json');
    const fr = JSON.parse(readFileSync(frFile, 'utf8')) as Record<string, string>;
    delete fr.read_more;
    writeFileSync(frFile, JSON.stringify(fr));
    const r = await renderLocale({ issue: issue(), newsletter, locale: 'fr', files: files(), publicUrl: 'https://n.test' });
    expect(r.missingKeys).toEqual(['read_more']);
    expect(renderForReader(r, { name: 'J', email: 'j@x.fr', unsubscribeUrl: 'https://n.test/u/t', preferencesUrl: 'https://n.test/p/t' }).html).toContain('Read more');
  });

  it('names file and line for a misspelt path inside a helper argument, which strict mode misses', async () => {
    const { newsletter, files } = setup();
    const layout = join(project.dir, 'templates', 'default', 'layout.mjml.hbs');
    const source = readFileSync(layout, 'utf8');
    writeFileSync(layout, source.replace('{{t "intro" count=issue.count}}', '{{t "intro" count=isue.count}}'));
    const line = source.split('\n').findIndex((l) => l.includes('{{t "intro"')) + 1;
    const err = await renderLocale({ issue: issue(), newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`layout.mjml.hbs:${line}: unknown variable "isue" in {{t "intro" count=isue.count}}`);
  });

  it('refuses MJML that fails strict validation, naming the layout file', async () => {
    const { newsletter, files } = setup();
    const layout = join(project.dir, 'templates', 'default', 'layout.mjml.hbs');
    writeFileSync(layout, readFileSync(layout, 'utf8').replace('<mj-text>{{reader.greeting}}</mj-text>', '<mj-text color="not-a-colour">{{reader.greeting}}</mj-text>'));
    const err = await renderLocale({ issue: issue(), newsletter, locale: 'en', files: files(), publicUrl: 'https://n.test' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/layout\.mjml\.hbs: MJML validation failed/);
    expect((err as Error).message).toContain('not-a-colour');
  });

  it('gives an Arabic mail rtl on every section and column, and each card its own direction and start side', async () => {
    const { newsletter, files } = setup();
    const withArabic = issue();
    withArabic.articles[0] = { ...withArabic.articles[0]!, title: 'تحلية المياه', excerpt: 'نص عربي', image: { url: 'https://example.org/a.jpg', alt: ' ' } };
    withArabic.articles.push({
      id: 'scraped',
      title: 'A scraped page in English',
      publishedAt: '2026-11-18T00:00:00.000Z',
      topics: [],
      excerpt: 'No language given',
      paragraphs: [],
      origin: 'x.txt',
      translations: {},
    });
    const ar = renderForReader(await renderLocale({ issue: withArabic, newsletter, locale: 'ar', files: files(), publicUrl: 'https://n.test' }), {
      name: 'ليلى',
      email: 'layla@example.net',
      unsubscribeUrl: 'https://n.test/u/t',
      preferencesUrl: 'https://n.test/p/t',
    });
    // MJML's default is direction:ltr inline on every section cell and column.
    expect(ar.html).not.toContain('direction:ltr');
    expect(ar.html.match(/direction:rtl/g)?.length).toBeGreaterThan(10);
    // The Arabic lead (language unknown, Arabic letters) reads rtl; the English cards left-aligned, the reader's words (date, "read more") in Arabic.
    expect(ar.html).toMatch(/<h2 [^>]*dir="rtl"><a [^>]*>تحلية المياه<\/a><\/h2>/);
    expect(ar.html).toMatch(/text-align:left;[^"]*"><h3 [^>]*dir="ltr"><a [^>]*>A scraped page in English/);
    expect(ar.html).toMatch(/<a href="https:\/\/example.org\/two\?[^"]*" lang="ar" dir="rtl">اقرأ المزيد<\/a>/);
    // A picture without words is described by its article's title; no invalid height="auto".
    expect(ar.html).toMatch(/<img alt="تحلية المياه" /);
    expect(ar.html).not.toMatch(/<img [^>]*height="auto"/);
    // The div MJML wraps the mail in carries the dark-mode class, or it stays light under the masthead.
    expect(ar.html).toMatch(/<div class="body-bg" aria-label="[^"]*" aria-roledescription="email" role="article" lang="ar" dir="rtl"/);
  });
});
