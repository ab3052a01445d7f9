import { describe, expect, it } from 'vitest';
import { parseFeedDate } from '../../src/articles/feeds/feed-date.js';
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

  it.each(['', 'garbage', '1', 'Item 5', 'sometime next week', '2026-02-30', '2026-13-01T00:00:00Z', 'Mon, 32 Nov 2026 09:00:00 GMT', 'Mon, 02 Nov 2026 09:00:00 XYZ'])(
    'refuses %j',
    (raw) => {
      expect(parseFeedDate(raw)).toBeUndefined();
    },
  );
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
});
