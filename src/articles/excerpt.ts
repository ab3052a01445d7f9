const DEFAULT_LENGTH = 240;

/** Cuts text at a word boundary at or before `max` characters and adds an ellipsis when cut. */
export function excerpt(text: string, max = DEFAULT_LENGTH): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  const head = (space > max * 0.6 ? cut.slice(0, space) : clean.slice(0, max)).replace(/[\s,;:.\-–—]+$/, '');
  return `${head}…`;
}

/** Turns one Markdown paragraph into plain text: links keep their text, emphasis marks go. */
export function markdownToText(md: string): string {
  return md
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])[*_]([^*_\n]+)[*_](?=[\s).,;:!?]|$)/g, '$1$2')
    .replace(/^>\s?/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Plain-text paragraphs of a Markdown body, skipping headings, rules, images-only lines and code fences. */
export function markdownParagraphs(body: string): string[] {
  const withoutFences = body.replace(/```[\s\S]*?```/g, '');
  return withoutFences
    .split(/\r?\n\s*\r?\n/)
    .map((block) => block.trim())
    .filter((block) => block && !/^#{1,6}\s/.test(block) && !/^(-{3,}|\*{3,})$/.test(block))
    .map((block) => block.split(/\r?\n/).map((l) => l.replace(/^\s*[-*+]\s+/, '')).join(' '))
    .map(markdownToText)
    .filter((p) => p.length > 0);
}
