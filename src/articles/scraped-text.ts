/**
 * The scraped plain-text page form (see ../shared/seeds/): the first line, after optional white
 * space, is `date YYYY-MM-DD` followed by page chrome (cookie and privacy notices) that readers
 * never see; the next non-empty line is the title; each further line is a paragraph.
 */
export interface ScrapedPage {
  date: string; // YYYY-MM-DD
  title: string;
  paragraphs: string[];
}

const FIRST_LINE = /^date (\d{4}-\d{2}-\d{2})(?:\s|$)/;

export function looksScraped(text: string): boolean {
  return FIRST_LINE.test(text.trimStart());
}

export function parseScrapedPage(text: string): ScrapedPage {
  const lines = text.trimStart().split(/\r?\n/);
  const m = FIRST_LINE.exec(lines[0] ?? '');
  if (!m) throw new Error('first line must start with "date YYYY-MM-DD"');
  const rest = lines.slice(1).map((l) => l.trim()).filter((l) => l.length > 0);
  const title = rest[0];
  if (!title) throw new Error('no title line after the date line');
  // Scrapes glue paragraphs together where a closing quote meets the next capital ("China.“From").
  const paragraphs = rest.slice(1).flatMap((p) => p.split(/(?<=[.!?]["”’]?)(?=[“"]?[A-Z][a-z])/u)).map((p) => p.trim()).filter(Boolean);
  return { date: m[1]!, title, paragraphs };
}
