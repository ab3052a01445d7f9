/**
 * Real-world feeds from public feed-parser test corpora (test/fixtures/feeds/real/README.md names
 * each file's source, commit and licence), read as the service reads them: bytes → decodeFeedBytes
 * → parseFeed.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFeed, type ParseFeedOptions } from '../../src/articles/feeds/parse-feed.js';
import { decodeFeedBytes, feedEncoding } from '../../src/articles/feeds/feed-text.js';
import { EMAIL_COLUMN_PX, pickImage } from '../../src/articles/feeds/feed-entries.js';

const REAL = fileURLToPath(new URL('../fixtures/feeds/real/', import.meta.url));
const bytes = (path: string): Buffer => readFileSync(`${REAL}${path}`);
const NOW = '2026-11-05T12:00:00.000Z';
const seenNow: ParseFeedOptions = { firstSeen: { now: NOW, known: {} } };
const read = (path: string, options: ParseFeedOptions = seenNow, contentType?: string) => parseFeed(decodeFeedBytes(bytes(path), contentType), `https://feeds.example/${path}`, options);

describe('charset: BOM, then the Content-Type charset, then the XML declaration (RFC 7303 § 8.1)', () => {
  /**
   * feedparser's encoding tests state the HTTP header they are served with and the encoding they
   * must be read in, in a comment at the top of each file.
   */
  const cases = readdirSync(`${REAL}feedparser/encoding`)
    .map((name) => {
      const text = Buffer.from(bytes(`feedparser/encoding/${name}`)).toString('latin1');
      const header = /Header:\s+Content-type:\s*(.*)/i.exec(text)?.[1]?.trim();
      const expected = /Expect:.*encoding == '([\w-]+)'/.exec(text)?.[1];
      return { name, header, expected };
    })
    .filter((c): c is { name: string; header: string | undefined; expected: string } => c.expected !== undefined);

  // feedparser still applies RFC 3023's "text/* without a charset is us-ascii"; RFC 7303 § 3 dropped it.
  const rfc3023Default = (c: { header?: string }) => /^text\//i.test(c.header ?? '') && !/charset\s*=/i.test(c.header ?? '');

  it('covers the corpus: dozens of header and declaration combinations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  // Python's gb18030 codec and the Encoding Standard's gbk decoder are one decoder ("gb2312" is a label of gbk).
  const decoderName = (label: string) => (label === 'gb18030' ? 'gbk' : new TextDecoder(label).encoding);

  it.each(cases.filter((c) => !rfc3023Default(c)))('$name (Content-Type: $header) is read as $expected', ({ name, header, expected }) => {
    expect(feedEncoding(bytes(`feedparser/encoding/${name}`), header)).toBe(decoderName(expected));
  });

  it.each(cases.filter(rfc3023Default))('$name (Content-Type: $header): the declaration, else UTF-8, as RFC 7303 says', ({ name, header }) => {
    const file = bytes(`feedparser/encoding/${name}`);
    const declared = /^<\?xml[^>]*encoding="([\w-]+)"/.exec(file.toString('latin1'))?.[1] ?? 'utf-8';
    expect(feedEncoding(file, header)).toBe(new TextDecoder(declared).encoding);
  });

  it.each([
    ['utf-16le-bom.xml', 'utf-16le'],
    ['utf-16be-bom.xml', 'utf-16be'],
    ['utf-16le-autodetect.xml', 'utf-16le'],
    ['utf-16be-autodetect.xml', 'utf-16be'],
    ['utf-16le.xml', 'utf-16le'],
    ['utf-16be.xml', 'utf-16be'],
  ])('%s is UTF-16 by its byte order mark or its first bytes, whatever the header says', (name, encoding) => {
    const file = bytes(`feedparser/encoding/${name}`);
    expect(feedEncoding(file, 'application/rss+xml; charset=utf-8')).toBe(encoding);
    const text = decodeFeedBytes(file);
    expect(text.startsWith('<?xml version="1.0"')).toBe(true);
    expect(text).toContain('<rss>');
  });

  it('a byte order mark beats a header that says otherwise; a header beats the declaration', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?><rss>café</rss>')]);
    expect(decodeFeedBytes(bom, 'text/xml; charset=iso-8859-1')).toBe('<?xml version="1.0" encoding="iso-8859-1"?><rss>café</rss>');
    const latin1 = Buffer.from('<?xml version="1.0" encoding="utf-8"?><rss>caf\u00e9</rss>', 'latin1');
    expect(decodeFeedBytes(latin1, 'text/xml; charset="ISO-8859-1"')).toContain('café');
  });

  it('windows-1252 curly quotes under a windows-1252 header (feedparser http_text_xml_charset_2)', () => {
    const { articles } = read('feedparser/encoding/http_text_xml_charset_2.xml', seenNow, 'text/xml; charset=windows-1252');
    expect(articles[0]!.excerpt).toBe('This is a £“test.”');
  });

  it('a Russian feed in windows-1251, by its declaration (node-feedparser iconv.xml)', () => {
    const { articles, problems } = read('node-feedparser/iconv.xml');
    expect(problems).toEqual([]);
    expect(articles).toHaveLength(10);
    expect(articles[0]!.title).toBe('В Бузулуке главные стройплощадки – детсад и Ледовый дворец');
    expect(articles[0]!.publishedAt).toBe('2014-01-22T14:31:31.000Z');
  });
});

describe('undated items (RSS 0.91 and 0.92) take the time they were first seen', () => {
  it('a Brazilian RSS 0.91 feed in ISO-8859-1 with no dates at all (feed-rs rss_0.91_encoding_1)', () => {
    const { articles, problems, firstSeen } = read('feed-rs/rss_0.91_encoding_1.xml');
    expect(problems).toEqual([]);
    expect(articles).toEqual([
      expect.objectContaining({
        id: 'http://www.dicas-l.com.br/dicas-l/20200406.php',
        title: 'bash - Expansão de Parâmetros',
        publishedAt: NOW,
        lang: 'pt-BR',
      }),
    ]);
    expect(firstSeen).toEqual({ 'http://www.dicas-l.com.br/dicas-l/20200406.php': NOW });
  });

  it('an item seen before keeps its first time; a new one gets now (WriteTheWeb, the RSS 0.91 sample)', () => {
    const earlier = '2026-10-01T08:00:00.000Z';
    const { articles, firstSeen } = read('feed-rs/rss_0.91_spec_1.xml', { firstSeen: { now: NOW, known: { 'http://writetheweb.com/read.php?item=23': earlier } } });
    expect(articles.map((a) => [a.title, a.publishedAt])).toEqual([
      ['Giving the world a pluggable Gnutella', NOW],
      ['Syndication discussions hot up', earlier],
    ]);
    expect(firstSeen).toEqual({ 'http://writetheweb.com/read.php?item=24': NOW, 'http://writetheweb.com/read.php?item=23': earlier });
  });

  it('items with neither link nor title get a content-hash id and a title from their text (Dave Winer’s RSS 0.92 sample)', () => {
    const first = read('feed-rs/rss_0.92_spec_1.xml');
    expect(first.problems).toEqual([]);
    expect(first.articles.length).toBeGreaterThanOrEqual(3);
    expect(first.articles.every((a) => /^sha256:/.test(a.id) && a.publishedAt === NOW && a.title.length > 0)).toBe(true);
    // The next run finds the same ids and so the same times.
    const again = read('feed-rs/rss_0.92_spec_1.xml', { firstSeen: { now: '2026-11-06T12:00:00.000Z', known: first.firstSeen } });
    expect(again.articles.map((a) => a.publishedAt)).toEqual(first.articles.map(() => NOW));
  });

  it('a Spanish RSS 0.91 item with neither link nor guid (feed-rs rss_0.91_missing_id)', () => {
    const { articles, problems } = read('feed-rs/rss_0.91_missing_id.xml');
    expect(problems).toEqual([]);
    expect(articles[0]).toMatchObject({ title: 'Oferta de Empleo Público // 3 PROFESOR/A TÉCNICO/A (INGENIE. TÉC. FORESTAL) 17/17', publishedAt: NOW, lang: 'es-ES' });
  });

  it('without a first-seen option (a pure parse has no clock) they are still reported and skipped', () => {
    const { articles, problems } = read('feed-rs/rss_0.91_encoding_2.xml', {});
    expect(articles).toEqual([]);
    expect(problems[0]!.message).toMatch(/has no date/);
  });
});

describe('localised dates in a real feed', () => {
  it('reads Il Messaggero’s Italian pubDate "mer, 16 nov 2022 00:38:15 +0100" (feed-rs rss_2.0_ilmessaggero)', () => {
    const { articles, problems } = read('feed-rs/rss_2.0_ilmessaggero.xml', {});
    expect(problems).toEqual([]);
    expect(articles[0]).toMatchObject({ publishedAt: '2022-11-15T23:38:15.000Z', lang: 'it-IT' });
  });
});

describe('images: of several, an image that fills the email column, and never a video', () => {
  it('the 480 px still of a YouTube media:group, not its Flash player (feed-rs atom_mediarss_youtube_1)', () => {
    const { articles } = read('feed-rs/atom_mediarss_youtube_1.xml');
    expect(articles[0]!.image?.url).toBe('https://i1.ytimg.com/vi/0A1ouV7iD8o/hqdefault.jpg');
  });

  it('the largest of four stills (130 and 320 px) in each media:group of an old YouTube RSS feed (rome test3)', () => {
    const { articles } = read('rome/test3.xml');
    expect(articles).toHaveLength(5);
    for (const a of articles) expect(a.image?.url, a.id).toMatch(/^http:\/\/img\.youtube\.com\/vi\/[\w-]+\/0\.jpg$/);
    expect(articles.every((a) => (a.image?.alt.length ?? 0) <= 151)).toBe(true);
  });

  it('the JPEG, not the MP4, of a Mail Online item with both as media:content and as enclosures (node-feedparser mediacontent-dupes)', () => {
    const { articles, problems } = read('node-feedparser/mediacontent-dupes.xml');
    expect(problems).toEqual([]);
    expect(articles[0]!.image?.url).toBe('http://i.mol.im/i/pix/2013/02/03/article-2272640-174FCEE2000005DC-697_154x115.jpg');
  });

  it('a medium="image" media:content over its small thumbnail (feed-rs atom_mediarss_newscred_1)', () => {
    const { articles } = read('feed-rs/atom_mediarss_newscred_1.xml');
    expect(articles[0]!.image).toEqual({ url: 'https://www.example.com/Zz1hNjRiMWFjMzdhYWIzNTEwNjk2YjIzYjc5NWQxNWFlMA==/.jpeg', alt: 'media description' });
  });

  const item = (media: string) => `<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
    <item><title>Pier reopens</title><link>https://x.example/pier</link><pubDate>Tue, 03 Nov 2026 09:30:00 GMT</pubDate>${media}</item></channel></rss>`;

  it.each([
    [
      'the smallest at least 552 px wide, as the Guardian lists 140, 460 and larger sizes',
      `<media:content width="140" url="https://i.example/140.jpg"/><media:content width="460" url="https://i.example/460.jpg"/>
       <media:content width="1200" url="https://i.example/1200.jpg"/><media:content width="700" url="https://i.example/700.jpg"/>`,
      'https://i.example/700.jpg',
    ],
    ['the widest when none reaches 552 px', '<media:content width="140" url="https://i.example/140.jpg"/><media:content width="460" url="https://i.example/460.jpg"/>', 'https://i.example/460.jpg'],
    [
      'inside a media:group too, skipping a wider video',
      `<media:group><media:content medium="video" type="video/mp4" width="1920" url="https://i.example/clip.mp4"/>
       <media:content type="image/jpeg" width="300" url="https://i.example/300.jpg"/><media:content medium="image" width="600" url="https://i.example/600"/></media:group>`,
      'https://i.example/600',
    ],
    [
      'one without a width (the original, as feeds usually give it) over smaller sized ones',
      '<media:content width="140" url="https://i.example/140.jpg"/><media:content url="https://i.example/original.jpg" type="image/jpeg"/>',
      'https://i.example/original.jpg',
    ],
    [
      'a sized media:content that fills the column over an enclosure of unknown size',
      '<enclosure url="https://i.example/enclosure.jpg" type="image/jpeg" length="1000"/><media:content width="800" url="https://i.example/800.jpg"/>',
      'https://i.example/800.jpg',
    ],
  ])('%s', (_name, media, url) => {
    const { articles, problems } = parseFeed(item(media), 'https://x.example/feed');
    expect(problems).toEqual([]);
    expect(articles[0]!.image?.url).toBe(url);
  });

  it('pickImage: smallest ≥ the column, else the first unsized, else the widest; ties keep the feed’s order', () => {
    const c = (url: string, width?: number) => ({ url, alt: '', ...(width === undefined ? {} : { width }) });
    expect(EMAIL_COLUMN_PX).toBe(552);
    expect(pickImage([c('a', 552), c('b', 551), c('c', 553), c('d', 552)])?.url).toBe('a');
    expect(pickImage([c('a', 100), c('b'), c('c', 500), c('d')])?.url).toBe('b');
    expect(pickImage([c('a', 100), c('b', 500), c('c', 500), c('d', Number.NaN)])?.url).toBe('d');
    expect(pickImage([c('a', 100), c('b', 500), c('c', 500)])?.url).toBe('b');
    expect(pickImage([])).toBeUndefined();
  });
});
