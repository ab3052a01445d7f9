/**
 * What the four formats feedsmith reads (RSS 2.0, RSS 1.0/RDF, Atom 1.0, JSON Feed 1.x) have in
 * common, before any text is cleaned: one FeedEntry per item, its raw values and whether they are
 * HTML. Turning entries into articles is parse-feed.ts's job.
 */
import type { AnyFeed, AtomFeed, JsonFeed, MediaNs, RdfFeed, RssFeed } from 'feedsmith';

export interface Text {
  value: string;
  html: boolean;
}

export interface FeedEntry {
  guid?: string;
  link?: string;
  title?: Text;
  /** The first date the item offers, in the order pubDate / published / updated / date_published. */
  date?: string;
  author?: string;
  lang?: string;
  topics: string[];
  /** A short form given by the feed (RSS description next to content:encoded, Atom summary). */
  summary?: Text;
  body?: Text;
  image?: { url: string; alt: string };
}

export interface FeedDocument {
  format: AnyFeed['format'];
  /** The feed's home page: relative item links resolve against it. */
  link?: string;
  entries: FeedEntry[];
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

function text(value: string | undefined, html: boolean): Text | undefined {
  const v = nonEmpty(value);
  return v === undefined ? undefined : { value: v, html };
}

function unique(values: (string | undefined)[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    const t = v?.replace(/\s+/g, ' ').trim();
    if (t && !seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      out.push(t);
    }
  }
  return out;
}

function isImage(type: string | undefined, url: string | undefined): boolean {
  if (type) return /^image\//i.test(type);
  return !!url && /\.(jpe?g|png|gif|webp|avif)(\?|#|$)/i.test(url);
}

/**
 * The width of the digest's column: a 600 px body less 24 px of padding on each side
 * (templates/default/layout.mjml.hbs). An image at least this wide fills it.
 */
export const EMAIL_COLUMN_PX = 552;

interface Candidate {
  url: string;
  alt: string;
  width?: number;
}

/**
 * Of several sizes of one picture, the one to show: the smallest at least EMAIL_COLUMN_PX wide
 * (it fills the column without making readers download a 3000 px original); when none is that
 * wide, one whose width is not given (feeds usually leave it off the original), else the widest.
 * Ties keep the feed's order.
 */
export function pickImage(candidates: readonly Candidate[]): Candidate | undefined {
  const widthOf = (c: Candidate): number | undefined => (typeof c.width === 'number' && Number.isFinite(c.width) && c.width > 0 ? c.width : undefined);
  let smallestWide: Candidate | undefined;
  let widest: Candidate | undefined;
  for (const c of candidates) {
    const w = widthOf(c);
    if (w === undefined) continue;
    if (w >= EMAIL_COLUMN_PX && (!smallestWide || w < widthOf(smallestWide)!)) smallestWide = c;
    if (!widest || w > widthOf(widest)!) widest = c;
  }
  return smallestWide ?? candidates.find((c) => widthOf(c) === undefined) ?? widest;
}

/** An image by medium="image", else by type image/*, else (neither given) by file extension. */
function isImageContent(c: MediaNs.Content): boolean {
  if (c.medium) return c.medium.toLowerCase() === 'image';
  return isImage(c.type, c.url);
}

/**
 * The image of an item: among its enclosures of an image type and its media:content images
 * (alone or in media:groups), the one pickImage chooses; when there is none, the same choice
 * among its media:thumbnails (of the item, its groups and its contents: a video's still is
 * better than nothing).
 */
function itemImage(enclosures: readonly Candidate[], media: MediaNs.ItemOrFeed | undefined): { url: string; alt: string } | undefined {
  const groups = media?.groups ?? [];
  const contents = [...(media?.contents ?? []), ...groups.flatMap((g) => g.contents ?? [])];
  const images = contents
    .filter((c) => c.url && isImageContent(c))
    .map((c) => ({ url: c.url!, alt: nonEmpty(c.description?.value ?? c.title?.value) ?? '', width: c.width }));
  // A still has no text of its own: the media's description stands in (parse-feed cuts it short).
  const thumbnailAlt = nonEmpty(media?.description?.value ?? media?.title?.value ?? groups.map((g) => g.description?.value ?? g.title?.value).find((v) => nonEmpty(v))) ?? '';
  const thumbnails = [...(media?.thumbnails ?? []), ...groups.flatMap((g) => g.thumbnails ?? []), ...contents.flatMap((c) => c.thumbnails ?? [])]
    .filter((t) => t.url)
    .map((t) => ({ url: t.url!, alt: thumbnailAlt, width: t.width }));
  const chosen = pickImage([...enclosures, ...images]) ?? pickImage(thumbnails);
  return chosen ? { url: chosen.url, alt: chosen.alt } : undefined;
}

/** Body and summary: the full content when there is one, the short form beside it as summary. */
function bodyAndSummary(full: Text | undefined, short: Text | undefined): Pick<FeedEntry, 'body' | 'summary'> {
  return full ? { body: full, summary: short } : { body: short };
}

function fromRss(feed: RssFeed.Feed<string>): FeedDocument {
  const lang = nonEmpty(feed.language) ?? feed.dc?.languages?.[0];
  return {
    format: 'rss',
    link: nonEmpty(feed.link),
    entries: (feed.items ?? []).map((item) => {
      const enclosures = (item.enclosures ?? []).filter((e) => e.url && isImage(e.type, e.url)).map((e) => ({ url: e.url!, alt: '' }));
      return {
        guid: item.guid?.value,
        link: nonEmpty(item.link) ?? (item.guid?.isPermaLink !== false && /^https?:/i.test(item.guid?.value ?? '') ? item.guid?.value : undefined),
        title: text(item.title ?? item.dc?.titles?.[0], true),
        date: item.pubDate ?? item.dc?.dates?.[0] ?? item.atom?.published ?? item.atom?.updated,
        author: nonEmpty(item.dc?.creators?.[0]) ?? nonEmpty(item.authors?.[0]?.name) ?? nonEmpty(item.authors?.[0]?.email),
        lang: item.dc?.languages?.[0] ?? item.xml?.lang ?? lang,
        topics: unique([...(item.categories ?? []).map((c) => c.name), ...(item.dc?.subjects ?? [])]),
        ...bodyAndSummary(text(item.content?.encoded, true), text(item.description, true)),
        image: itemImage(enclosures, item.media),
      };
    }),
  };
}

function fromRdf(feed: RdfFeed.Feed<string>): FeedDocument {
  const lang = feed.dc?.languages?.[0];
  return {
    format: 'rdf',
    link: nonEmpty(feed.link),
    entries: (feed.items ?? []).map((item) => ({
      guid: item.rdf?.about,
      link: nonEmpty(item.link),
      title: text(item.title, true),
      date: item.dc?.dates?.[0],
      author: nonEmpty(item.dc?.creators?.[0]),
      lang: item.dc?.languages?.[0] ?? item.xml?.lang ?? lang,
      topics: unique(item.dc?.subjects ?? []),
      ...bodyAndSummary(text(item.content?.encoded, true), text(item.description, true)),
      image: itemImage([], item.media),
    })),
  };
}

function atomText(t: { value?: string; type?: string } | undefined): Text | undefined {
  const type = t?.type?.toLowerCase();
  return text(t?.value, type === 'html' || type === 'xhtml' || type === 'text/html');
}

function atomLink(links: AtomFeed.Link<string>[] | undefined): string | undefined {
  const alternates = (links ?? []).filter((l) => !l.rel || l.rel === 'alternate');
  return (alternates.find((l) => !l.type || /html/i.test(l.type)) ?? alternates[0])?.href;
}

function fromAtom(feed: AtomFeed.Feed<string>): FeedDocument {
  return {
    format: 'atom',
    link: atomLink(feed.links),
    entries: (feed.entries ?? []).map((entry) => {
      const enclosures = (entry.links ?? []).filter((l) => l.rel === 'enclosure' && l.href && isImage(l.type, l.href)).map((l) => ({ url: l.href!, alt: nonEmpty(l.title) ?? '' }));
      const authors = entry.authors ?? entry.source?.authors ?? feed.authors;
      return {
        guid: entry.id,
        link: atomLink(entry.links),
        title: atomText(entry.title),
        date: entry.published ?? entry.updated ?? entry.dc?.dates?.[0],
        author: nonEmpty(authors?.[0]?.name),
        lang: entry.xml?.lang ?? feed.xml?.lang,
        topics: unique((entry.categories ?? []).map((c) => nonEmpty(c.label) ?? c.term)),
        ...bodyAndSummary(entry.content?.src ? undefined : atomText(entry.content), atomText(entry.summary)),
        image: itemImage(enclosures, entry.media),
      };
    }),
  };
}

function fromJson(feed: JsonFeed.Feed<string>): FeedDocument {
  return {
    format: 'json',
    link: nonEmpty(feed.home_page_url),
    entries: (feed.items ?? []).map((item) => {
      const attachment = item.attachments?.find((a) => a.url && isImage(a.mime_type, a.url));
      const image = nonEmpty(item.image) ?? nonEmpty(item.banner_image) ?? attachment?.url;
      return {
        guid: item.id,
        link: nonEmpty(item.url) ?? nonEmpty(item.external_url),
        title: text(item.title, false),
        date: item.date_published ?? item.date_modified,
        author: nonEmpty((item.authors ?? feed.authors)?.[0]?.name),
        lang: item.language ?? feed.language,
        topics: unique(item.tags ?? []),
        ...bodyAndSummary(text(item.content_html, true) ?? text(item.content_text, false), text(item.summary, false)),
        image: image ? { url: image, alt: (image === attachment?.url ? nonEmpty(attachment.title) : undefined) ?? '' } : undefined,
      };
    }),
  };
}

/** The entries of a parsed feed, whatever its format. */
export function feedEntries(parsed: AnyFeed<string>): FeedDocument {
  switch (parsed.format) {
    case 'rss':
      return fromRss(parsed.feed);
    case 'rdf':
      return fromRdf(parsed.feed);
    case 'atom':
      return fromAtom(parsed.feed);
    case 'json':
      return fromJson(parsed.feed);
  }
}
