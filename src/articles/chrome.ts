/**
 * Page chrome that scrapes and feeds carry and readers must never see in a digest: cookie,
 * privacy-policy and "subscribe" notices. A paragraph matching one of these is dropped.
 */
const NOTICE_PATTERNS: RegExp[] = [
  /\b(privacy policy|cookie policy|terms of (use|service)|terms and conditions)\b/i,
  /\b(we use cookies|accept (all )?cookies|by using (our|this) (web)?site)\b/i,
  /^(subscribe|sign up) (now|today|to our newsletter)\b/i,
];

export function isNoticeParagraph(text: string, extra: readonly RegExp[] = []): boolean {
  return NOTICE_PATTERNS.some((re) => re.test(text)) || extra.some((re) => re.test(text));
}

/** The config's extra patterns (`articles.noticePatterns`), compiled once. */
export function noticePatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => new RegExp(p, 'i'));
}
