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

/** media:content (alone or in a media:group) of an image medium, else a media:thumbnail. */
function mediaImage(media: MediaNs.ItemOrFeed | undefined): { url: string; alt: string } | undefined {
  if (!media) return undefined;
  const contents = [...(media.contents ?? []), ...(media.groups ?? []).flatMap((g) => g.contents ?? [])];
  const content = contents.find((c) => c.url && (c.medium === 'image' || isImage(c.type, c.url)));
  if (content?.url) return { url: content.url, alt: nonEmpty(content.description?.value ?? content.title?.value) ?? '' };
  const thumb = [...(media.thumbnails ?? []), ...contents.flatMap((c) => c.thumbnails ?? [])].find((t) => t.url);
  return thumb?.url ? { url: thumb.url, alt: nonEmpty(media.description?.value ?? media.title?.value) ?? '' } : undefined;
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
      const enclosure = item.enclosures?.find((e) => e.url && isImage(e.type, e.url));
      return {
        guid: item.guid?.value,
        link: nonEmpty(item.link) ?? (item.guid?.isPermaLink !== false && /^https?:/i.test(item.guid?.value ?? '') ? item.guid?.value : undefined),
        title: text(item.title ?? item.dc?.titles?.[0], true),
        date: item.pubDate ?? item.dc?.dates?.[0] ?? item.atom?.published ?? item.atom?.updated,
        author: nonEmpty(item.dc?.creators?.[0]) ?? nonEmpty(item.authors?.[0]?.name) ?? nonEmpty(item.authors?.[0]?.email),
        lang: item.dc?.languages?.[0] ?? item.xml?.lang ?? lang,
        topics: unique([...(item.categories ?? []).map((c) => c.name), ...(item.dc?.subjects ?? [])]),
        ...bodyAndSummary(text(item.content?.encoded, true), text(item.description, true)),
        image: enclosure?.url ? { url: enclosure.url, alt: '' } : mediaImage(item.media),
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
      image: mediaImage(item.media),
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
      const enclosure = entry.links?.find((l) => l.rel === 'enclosure' && isImage(l.type, l.href));
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
        image: enclosure?.href ? { url: enclosure.href, alt: nonEmpty(enclosure.title) ?? '' } : mediaImage(entry.media),
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
