import { describe, expect, it } from 'vitest';
import { monthNumber, parseFeedDate } from '../../src/articles/feeds/feed-date.js';
import { canonicalUrl, safeId } from '../../src/articles/feeds/feed-id.js';
import { htmlParagraphs, plainLine, sanitizeFeedHtml } from '../../src/articles/feeds/feed-html.js';
import { decodeFeedBytes } from '../../src/articles/feeds/feed-text.js';

describe('sanitizeFeedHtml', () => {
  const hostile = `<p onclick="steal()" style="color:red">Hello <b onmouseover="x()">there</b></p>
    <script>alert(1)</script><style>body{display:none}</style><iframe src="https://evil.example/"></iframe>
    <a href="javascript:alert(1)">js</a> <a href="https://ok.example/" target="_blank" onclick="y()">ok</a>
    <img src="x" onerror="alert(2)"><img src="https://img.example/a.png" alt="A"><svg onload="z()"><title>t</title></svg>
    <object data="x.swf"></object><form action="/x"><input name="a"><button>Go</button></form><noscript>ns</noscript>`;
  const safe = sanitizeFeedHtml(hostile);

  it('keeps no script, style, iframe, object, form control or on* attribute', () => {
    expect(safe).not.toMatch(/<(script|style|iframe|svg|object|form|input|button|noscript)\b/i);
    expect(safe).not.toMatch(/\son\w+\s*=/i);
    expect(safe).not.toMatch(/style=|javascript:|alert|steal|onerror|display:none/i);
  });

  it('keeps the text, safe links and http(s) images', () => {
    expect(safe).toContain('<p>Hello <b>there</b></p>');
    expect(safe).toContain('<a href="https://ok.example/">ok</a>');
    expect(safe).toContain('<a>js</a>');
    expect(safe).toContain('<img src="https://img.example/a.png" alt="A" />');
  });
});

describe('htmlParagraphs and plainLine', () => {
  it('splits blocks into paragraphs, joins lines, decodes entities, keeps a stray "<"', () => {
    expect(htmlParagraphs('<div><p>One &amp; two</p><div>three<br>four</div><ul><li>five</li><li>six</li></ul><p>x&lt;y and a<b z</p><table><tr><td>c1</td><td>c2</td></tr></table></div>')).toEqual([
      'One & two',
      'three four',
      'five',
      'six',
      'x<y and a<b z',
      'c1 c2',
    ]);
    expect(htmlParagraphs('first<br><br>second')).toEqual(['first', 'second']);
  });

  it('strips tags and decodes entities in lines that may be HTML; leaves "<" alone in plain text', () => {
    expect(plainLine('Caf&#233; &amp; <b>bold</b> <script>x()</script>', true)).toBe('Café & bold');
    expect(plainLine('Why x<y matters', true)).toBe('Why x<y matters');
    expect(plainLine('AT&amp;T <template> tips', false)).toBe('AT&T <template> tips');
  });
});

describe('parseFeedDate', () => {
  it.each([
    ['Tue, 03 Nov 2026 09:30:00 +0100', '2026-11-03T08:30:00.000Z'],
    ['Tue, 3 Nov 2026 09:30:00 GMT', '2026-11-03T09:30:00.000Z'],
    ['03 Nov 26 09:30 EST', '2026-11-03T14:30:00.000Z'],
    ['Sun, 01 Nov 2026 16:05:00 CEST', '2026-11-01T14:05:00.000Z'],
    ['2026-11-02T18:15:00+01:00', '2026-11-02T17:15:00.000Z'],
    ['2026-11-02T18:15:00.250Z', '2026-11-02T18:15:00.250Z'],
    ['2026-11-02T18:15:00', '2026-11-02T18:15:00.000Z'],
    ['2026-11-02', '2026-11-02T00:00:00.000Z'],
  ])('%s → %s', (raw, iso) => {
    expect(parseFeedDate(raw)).toBe(iso);
  });

  it.each(['', 'garbage', '1', 'Item 5', 'sometime next week', '2026-02-30', '2026-13-01T00:00:00Z', 'Mon, 32 Nov 2026 09:00:00 GMT', 'Mon, 02 Nov 2026 09:00:00 XYZ'])('refuses %j', (raw) => {
    expect(parseFeedDate(raw)).toBeUndefined();
  });
});

describe('parseFeedDate: localised day and month names', () => {
  it.each([
    // The date of issue 19's report, from a Brazilian feed.
    ['Seg, 24 Set 2018 19:42:40 -0300', '2018-09-24T22:42:40.000Z'],
    ['Sáb, 06 Out 2018 10:00:00 -0300', '2018-10-06T13:00:00.000Z'],
    ['Qui, 01 Fev 2018 08:00:00 -0200', '2018-02-01T10:00:00.000Z'],
    ['Dom, 09 Dez 2018 23:59:59 -0200', '2018-12-10T01:59:59.000Z'],
    // Seen in the wild, as collected in miniflux's date parser tests (internal/reader/date/parser_test.go).
    ['Di, 23 Jan 2018 00:00:00 +0100', '2018-01-22T23:00:00.000Z'],
    ['Do, 29 Mär 2018 00:00:00 +0200', '2018-03-28T22:00:00.000Z'],
    ['mer, 9 avr 2018 00:00:00 +0200', '2018-04-08T22:00:00.000Z'],
    ['ven., 03 juil. 2020 15:09:58 +0000', '2020-07-03T15:09:58.000Z'],
    ['jeu., 02 avril 2020 00:00:00 +0200', '2020-04-01T22:00:00.000Z'],
    ['mar., 01 déc. 2020 16:11:02 +0000', '2020-12-01T16:11:02.000Z'],
    // German, Spanish, Italian, Dutch abbreviations.
    ['Mi, 14 Okt 2020 08:00:00 MESZ', '2020-10-14T06:00:00.000Z'],
    ['Fr, 16. Dez 2016 10:00:00 MEZ', '2016-12-16T09:00:00.000Z'],
    ['Mo, 02 Mai 2016 10:00:00 +0200', '2016-05-02T08:00:00.000Z'],
    ['mié, 12 dic 2018 10:00:00 +0100', '2018-12-12T09:00:00.000Z'],
    ['sáb, 05 ene 2019 10:00:00 +0100', '2019-01-05T09:00:00.000Z'],
    ['lun, 03 sept 2018 10:00:00 +0200', '2018-09-03T08:00:00.000Z'],
    ['gio, 15 ott 2020 08:00:00 +0200', '2020-10-15T06:00:00.000Z'],
    ['lun, 04 gen 2021 08:00:00 +0100', '2021-01-04T07:00:00.000Z'],
    ['ven, 10 mag 2019 08:00:00 +0200', '2019-05-10T06:00:00.000Z'],
    ['vr, 16 mrt 2018 09:00:00 +0100', '2018-03-16T08:00:00.000Z'],
    ['wo, 01 mei 2019 09:00:00 +0200', '2019-05-01T07:00:00.000Z'],
    // Full names, any case.
    ['Segunda, 24 setembro 2018 19:42:40 -0300', '2018-09-24T22:42:40.000Z'],
    ['24 MAART 2018 09:00 +0100', '2018-03-24T08:00:00.000Z'],
  ])('%s → %s', (raw, iso) => {
    expect(parseFeedDate(raw)).toBe(iso);
  });

  it('refuses a month name it cannot tell apart or does not know, and an impossible day in any language', () => {
    // "jui" starts both juin and juillet.
    expect(parseFeedDate('lun, 02 jui 2018 10:00:00 +0200')).toBeUndefined();
    expect(parseFeedDate('Mon, 02 Foo 2018 10:00:00 GMT')).toBeUndefined();
    expect(parseFeedDate('Qua, 31 Set 2018 10:00:00 -0300')).toBeUndefined();
    expect(parseFeedDate('Seg, 24 Set 2018')).toBeUndefined();
  });

  it('monthNumber reads abbreviations, full names and unambiguous starts in the seven languages', () => {
    expect(['jan', 'fev', 'mär', 'abr', 'mag', 'giu', 'lug', 'aout', 'set', 'out', 'okt', 'dez'].map(monthNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 12]);
    expect(['janvier', 'Février', 'marzo', 'Juni', 'juil', 'Sept.', 'NOV'].map(monthNumber)).toEqual([1, 2, 3, 6, 7, 9, 11]);
    expect(['jui', 'ma', 'ju', 'xyz'].map(monthNumber)).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('ids', () => {
  it('canonicalUrl drops utm_* parameters and the fragment, keeps the rest as written', () => {
    expect(canonicalUrl('https://x.org/a?b=1&utm_source=rss&c=a%20b&UTM_Medium=x#top')).toBe('https://x.org/a?b=1&c=a%20b');
    expect(canonicalUrl('https://x.org/a?utm_campaign=nov')).toBe('https://x.org/a');
    expect(canonicalUrl('/rel?utm_x=1', 'https://x.org/base/')).toBe('https://x.org/rel');
    expect(canonicalUrl('ftp://x.org/a')).toBeUndefined();
    expect(canonicalUrl('not a url')).toBeUndefined();
  });

  it('safeId cleans control characters and hashes absurdly long guids', () => {
    expect(safeId(' a\n\tb ')).toBe('a b');
    expect(safeId(' \u0000 ')).toBeUndefined();
    expect(safeId('x'.repeat(600))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(safeId('x'.repeat(600))).toBe(safeId('x'.repeat(600)));
  });
});

describe('decodeFeedBytes', () => {
  it('honours the charset of the header, else of the XML declaration, else UTF-8', () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><rss>caf\u00e9</rss>', 'latin1');
    expect(decodeFeedBytes(latin1)).toContain('café');
    expect(decodeFeedBytes(latin1, 'application/rss+xml; charset=iso-8859-1')).toContain('café');
    expect(decodeFeedBytes(Buffer.from('{"title":"café"}'), 'application/feed+json')).toBe('{"title":"café"}');
    expect(decodeFeedBytes(Buffer.from('café'), 'text/xml; charset=no-such-charset')).toBe('café');
  });

  it('reads "ISO-8859-1", "US-ASCII" and windows-1252 as windows-1252, curly quotes, dashes and euro included (not as C1 controls)', () => {
    const bytes = Buffer.from([0x93, 0x4f, 0x4b, 0x94, 0x20, 0x96, 0x20, 0x80, 0x35, 0x20, 0x85, 0x20, 0x99, 0x20, 0x9f, 0x20, 0x81, 0x20, 0xe9, 0xff]);
    const expected = '“OK” – €5 … ™ Ÿ \u0081 éÿ';
    for (const label of ['iso-8859-1', 'us-ascii', 'windows-1252', 'latin1']) {
      expect(decodeFeedBytes(bytes, `text/xml; charset=${label}`), label).toBe(expected);
    }
    const declared = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><t>'), bytes, Buffer.from('</t>')]);
    expect(decodeFeedBytes(declared)).toBe(`<?xml version="1.0" encoding="ISO-8859-1"?><t>${expected}</t>`);
  });
});
