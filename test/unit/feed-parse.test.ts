import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '../../src/articles/feeds/parse-feed.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/feeds/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${FIXTURES}${name}`, 'utf8');

/** Nothing a feed's markup could run or track survives into an article. */
function expectNoActiveContent(value: unknown): void {
  const json = JSON.stringify(value);
  expect(json).not.toMatch(/<script|<style|<iframe|onclick|onmouseover|javascript:|alert\(|document\.cookie|steal\(|display: none/i);
  expect(json).not.toMatch(/<\/?[a-z]+[\s>]/i);
}

describe('parseFeed: RSS 2.0', () => {
  const { articles, problems } = parseFeed(fixture('rss.xml'), 'https://gazette.example.org/feed.xml');

  it('reads every item, with no problem', () => {
    expect(problems).toEqual([]);
    expect(articles.map((a) => a.id)).toEqual(['gazette-2026-1103-ferry', 'https://gazette.example.org/news/lighthouse-open-day']);
  });

  it('normalises an item with HTML content to a plain-text article', () => {
    expect(articles[0]).toEqual({
      id: 'gazette-2026-1103-ferry',
      title: 'Ferry timetable & fares change on Monday',
      url: 'https://gazette.example.org/news/ferry-timetable?utm_source=rss&utm_medium=feed',
      publishedAt: '2026-11-03T08:30:00.000Z',
      lang: 'en-GB',
      topics: ['Transport', 'Harbour'],
      excerpt: 'The harbour ferry runs on a winter timetable from Monday, with fares up by 20 pence.',
      paragraphs: [
        'What changes',
        'From Monday the first crossing leaves at 07:10 & the last one at 21:40, the harbour master said on Tuesday.',
        'Season tickets bought before the change stay valid until they expire, and children under 5 still travel free. Details',
      ],
      author: 'Maeve O’Hara',
      image: { url: 'https://gazette.example.org/img/ferry.jpg', alt: '' },
      origin: 'https://gazette.example.org/feed.xml',
    });
  });

  it('drops scripts, styles, iframes, event handlers and the cookie and subscribe notices', () => {
    expectNoActiveContent(articles);
    expect(JSON.stringify(articles)).not.toMatch(/cookies|Subscribe now/i);
  });

  it('takes the author from <author>, the image from media:content and the text from the description', () => {
    const lighthouse = articles[1]!;
    expect(lighthouse.author).toBe('News desk');
    expect(lighthouse.image).toEqual({ url: 'https://gazette.example.org/img/lighthouse.webp', alt: 'The lighthouse at dusk' });
    expect(lighthouse.paragraphs).toHaveLength(1);
    expect(lighthouse.paragraphs[0]).toContain('twice as many as last year — the keepers');
    expect(lighthouse.excerpt).toBe(lighthouse.paragraphs[0]);
    expect(lighthouse.publishedAt).toBe('2026-11-01T16:05:00.000Z');
  });
});

describe('parseFeed: Atom 1.0', () => {
  const { articles, problems } = parseFeed(fixture('atom.xml'), 'https://carnet.example.net/atom.xml');

  it('normalises an HTML entry: title decoded and stripped, relative link resolved, xml:lang, enclosure image', () => {
    expect(problems).toEqual([]);
    expect(articles[0]).toEqual({
      id: 'tag:carnet.example.net,2026-11-02:/quais-maree',
      title: 'Les quais & la marée d’automne',
      url: 'https://carnet.example.net/2026/11/quais-maree',
      publishedAt: '2026-11-02T17:15:00.000Z',
      lang: 'fr',
      topics: ['Mer', 'climat'],
      excerpt: 'La grande marée de novembre a recouvert les quais pendant deux heures.',
      paragraphs: ['Samedi soir, l’eau est montée jusqu’aux terrasses des cafés du port.', 'Les pompiers ont fermé la route côtière par précaution.'],
      author: 'Élodie Marchand',
      image: { url: 'https://carnet.example.net/img/maree.png', alt: 'La marée haute' },
      origin: 'https://carnet.example.net/atom.xml',
    });
    expectNoActiveContent(articles);
  });

  it('reads xhtml content, the entry language over the feed language, updated when published is absent', () => {
    const de = articles[1]!;
    expect(de.lang).toBe('de');
    expect(de.publishedAt).toBe('2026-11-01T09:00:00.000Z');
    expect(de.paragraphs).toEqual(['Der neue Gezeitenkalender für die ganze Küste ist ab heute im Hafenbüro erhältlich.', 'Er kostet fünf Euro.']);
    expect(de.excerpt).toBe(de.paragraphs[0]);
    expect(de.image).toEqual({ url: 'https://carnet.example.net/img/kalender.jpg', alt: '' });
    expect(de.author).toBe('Élodie Marchand');
  });
});

describe('parseFeed: JSON Feed 1.1', () => {
  const { articles, problems } = parseFeed(fixture('json-feed.json'), 'https://tides.example.com/feed.json');

  it('normalises an item with content_html, summary, tags and image', () => {
    expect(problems).toEqual([]);
    expect(articles[0]).toEqual({
      id: 'https://tides.example.com/posts/spring-tides',
      title: 'Spring tides ahead & what they mean',
      url: 'https://tides.example.com/posts/spring-tides',
      publishedAt: '2026-11-05T06:00:00.000Z',
      lang: 'en-US',
      topics: ['tides', 'boating'],
      excerpt: 'The highest highs and lowest lows of the month are due this weekend.',
      paragraphs: ['Spring tides bring the highest highs and the lowest lows of the month.', 'Check the table before you launch a boat from the slipway.'],
      author: 'Priya Natarajan',
      image: { url: 'https://tides.example.com/img/spring.jpg', alt: '' },
      origin: 'https://tides.example.com/feed.json',
    });
    expectNoActiveContent(articles);
    expect(JSON.stringify(articles)).not.toMatch(/cookies/i);
  });

  it('an untitled content_text item: title from its text, item language, feed author, image attachment', () => {
    const neap = articles[1]!;
    expect(neap.id).toBe('neap-2026-11');
    expect(neap.title).toBe('Neap tides this week mean a small range between high and low water.');
    expect(neap.paragraphs).toEqual(['Neap tides this week mean a small range between high and low water.', 'Good days for beginners on the water.']);
    expect(neap.lang).toBe('en-GB');
    expect(neap.author).toBe('Tide desk');
    expect(neap.publishedAt).toBe('2026-11-04T04:00:00.000Z');
    expect(neap.image).toEqual({ url: 'https://tides.example.com/img/neap.png', alt: 'Neap tide chart' });
    expect(neap.url).toBeUndefined();
  });
});

describe('parseFeed: ids', () => {
  const text = fixture('id-fallbacks.xml');
  const first = parseFeed(text, 'feeds/fallbacks.xml');
  const second = parseFeed(text, 'feeds/fallbacks.xml');

  it('uses the guid, else the URL without utm_* parameters and fragment, else a content hash', () => {
    expect(first.problems).toEqual([]);
    const [guid, url, hash] = first.articles.map((a) => a.id);
    expect(guid).toBe('urn:fallbacks:1');
    expect(url).toBe('https://fallbacks.example.org/two?id=7');
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.articles[1]!.url).toBe('https://fallbacks.example.org/two?id=7&utm_source=rss&utm_campaign=nov#comments');
  });

  it('gives the same ids on every parse', () => {
    expect(second.articles.map((a) => a.id)).toEqual(first.articles.map((a) => a.id));
    expect(second.articles).toEqual(first.articles);
  });

  it('changes the hash id only when the text changes', () => {
    const edited = parseFeed(text.replace('Third item text', 'Third item, edited text'), 'feeds/fallbacks.xml');
    expect(edited.articles[2]!.id).not.toBe(first.articles[2]!.id);
    expect(edited.articles.slice(0, 2).map((a) => a.id)).toEqual(first.articles.slice(0, 2).map((a) => a.id));
  });

  it('keeps a guid as given, with only white space and control characters cleaned', () => {
    const rss = `<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>  tag:x.org,2026:\u0007a   b </guid><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate><description>Some text here for the body.</description></item></channel></rss>`;
    expect(parseFeed(rss, 'x').articles[0]!.id).toBe('tag:x.org,2026: a b');
  });
});

describe('parseFeed: excerpt', () => {
  const item = (body: string) =>
    `<rss version="2.0"><channel><title>t</title><item><title>Title</title><guid>g</guid><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate><description><![CDATA[${body}]]></description></item></channel></rss>`;

  it('without a summary: the first real paragraph, cut at a word boundary with an ellipsis, never a notice', () => {
    const long = 'The council voted on Thursday to rebuild the north pier, which storms damaged twice last winter, '.repeat(4);
    const { articles } = parseFeed(item(`<p>By using our site you agree to our Privacy Policy.</p><h3>Pier</h3><p>${long}</p>`), 'x');
    const a = articles[0]!;
    expect(a.paragraphs[0]).toBe('Pier');
    expect(a.excerpt.startsWith('The council voted on Thursday')).toBe(true);
    expect(a.excerpt.endsWith('…')).toBe(true);
    expect(a.excerpt.length).toBeLessThanOrEqual(241);
    expect(long).toContain(a.excerpt.slice(0, -1));
    expect(a.excerpt).not.toMatch(/Privacy|Pier …/);
  });

  it('applies the configured extra notice patterns', () => {
    const { articles } = parseFeed(item('<p>Advertisement: buy our boats today, the best boats in town.</p><p>Real news about the harbour today.</p>'), 'x', { notices: [/^advertisement:/i] });
    expect(articles[0]!.paragraphs).toEqual(['Real news about the harbour today.']);
    expect(articles[0]!.excerpt).toBe('Real news about the harbour today.');
  });

  it('accepts an item with a title and a link but no text', () => {
    const rss = `<rss version="2.0"><channel><title>t</title><item><title>Just a link</title><link>https://x.org/a</link><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;
    const { articles, problems } = parseFeed(rss, 'x');
    expect(problems).toEqual([]);
    expect(articles[0]).toMatchObject({ id: 'https://x.org/a', title: 'Just a link', excerpt: '', paragraphs: [] });
  });
});
