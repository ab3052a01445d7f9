import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '../../src/articles/feeds/parse-feed.js';

const BAD = fileURLToPath(new URL('../fixtures/feeds/bad/', import.meta.url));
const read = (name: string): string => readFileSync(`${BAD}${name}`, 'utf8');

describe('parseFeed: documents that are not feeds give one problem naming the origin, and no articles', () => {
  const cases: [file: string, reason: RegExp][] = [
    ['not-xml.txt', /not an RSS, Atom or JSON feed \(it is neither XML nor JSON\)/],
    ['html-page.html', /not an RSS, Atom or JSON feed \(it is an HTML page\)/],
    ['random.json', /not an RSS, Atom or JSON feed \(it is JSON without the JSON Feed/],
    ['broken.xml', /the feed's XML is malformed/],
    ['truncated.xml', /cut off or broken/],
  ];
  it.each(cases)('%s', (file, reason) => {
    const origin = `https://bad.example.org/${file}`;
    const { articles, problems } = parseFeed(read(file), origin);
    expect(articles).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.place).toBe(origin);
    expect(problems[0]!.message).toMatch(reason);
  });

  it.each([
    ['empty', ''],
    ['white space', '  \n '],
    ['invalid JSON', '{"version": "https://jsonfeed.org/version/1.1", "items": ['],
    ['a JSON array', '[1, 2, 3]'],
    ['XML that is not a feed', '<?xml version="1.0"?><note><to>Tove</to></note>'],
  ])('%s', (_name, text) => {
    const { articles, problems } = parseFeed(text, 'feeds/x');
    expect(articles).toEqual([]);
    expect(problems).toEqual([{ place: 'feeds/x', message: expect.stringMatching(/not .*feed|empty/) }]);
  });
});

describe('parseFeed: bad items are reported with the origin and their title or link, and skipped; the rest survive', () => {
  const origin = 'https://mixed.example.org/feed.xml';
  const { articles, problems } = parseFeed(read('mixed-items.xml'), origin);

  it('keeps the good items, the first of two with the same guid', () => {
    expect(articles.map((a) => [a.id, a.title])).toEqual([
      ['mixed-1', 'Good one'],
      ['mixed-5', 'Good two'],
    ]);
    expect(articles[0]!.url).toBe('https://mixed.example.org/1');
  });

  it('reports an unparseable date, a duplicate guid and a missing date', () => {
    expect(problems.every((p) => p.place === origin)).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([
      'item "When is this?" (https://mixed.example.org/2): date "sometime next week" does not parse; skipped',
      'item "Good one, repeated" (https://mixed.example.org/1-again): duplicate id "mixed-1" (first used by item "Good one" (https://mixed.example.org/1)); skipped',
      'item "Undated": has no date (pubDate, published, updated or date_published); skipped',
    ]);
  });

  it('reports duplicate ids in Atom and JSON Feed too', () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>urn:a</id><updated>2026-11-01T00:00:00Z</updated>
      <entry><title>One</title><id>urn:e</id><updated>2026-11-01T00:00:00Z</updated><content>Text one of the entry.</content></entry>
      <entry><title>Two</title><id>urn:e</id><updated>2026-11-02T00:00:00Z</updated><content>Text two of the entry.</content></entry></feed>`;
    const json = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'j',
      items: [
        { id: '1', title: 'One', content_text: 'a', date_published: '2026-11-01T00:00:00Z' },
        { id: '1', title: 'Two', content_text: 'b', date_published: '2026-11-02T00:00:00Z' },
        { id: '2', title: 'Three', content_text: 'c', date_published: 'yesterday' },
      ],
    });
    const a = parseFeed(atom, 'a.xml');
    expect(a.articles.map((x) => x.title)).toEqual(['One']);
    expect(a.problems).toEqual([{ place: 'a.xml', message: expect.stringContaining('item "Two": duplicate id "urn:e"') }]);
    const j = parseFeed(json, 'j.json');
    expect(j.articles.map((x) => x.title)).toEqual(['One']);
    expect(j.problems.map((p) => p.message)).toEqual([expect.stringContaining('item "Two": duplicate id "1"'), 'item "Three": date "yesterday" does not parse; skipped']);
  });

  it('reports an item with neither title nor text by its link, or its position', () => {
    const rss = `<rss version="2.0"><channel><title>t</title>
      <item><link>https://x.org/empty</link><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item>
      <item><guid>g</guid><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;
    expect(parseFeed(rss, 'x').problems.map((p) => p.message)).toEqual(['item https://x.org/empty: has no title and no text; skipped', 'item 2: has no title and no text; skipped']);
  });

  it('never keeps a link or image that is not http(s)', () => {
    const rss = `<rss version="2.0"><channel><title>t</title><item><title>x</title><link>javascript:alert(1)</link><guid>g</guid>
      <enclosure url="data:image/png;base64,AAAA" type="image/png" length="4"/>
      <pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate><description>Body text of the item.</description></item></channel></rss>`;
    const a = parseFeed(rss, 'x').articles[0]!;
    expect(a.url).toBeUndefined();
    expect(a.image).toBeUndefined();
  });
});
