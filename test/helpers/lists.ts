/** The list file's header, every column. */
export const HEADER = 'email,name,locale,timezone,status,consented_at,source,topics';

/** A list with what a real export has: duplicates far apart, bad rows, multi-line quoted names, CR LF. */
export function messyList(n: number, eol = '\r\n'): string {
  const rows = [HEADER];
  for (let i = 0; i < n; i++) {
    const who = `reader${i % Math.floor(n * 0.8)}@example.com`; // the last fifth repeats the first addresses
    if (i % 37 === 5) rows.push(`not-an-address-${i},X,,,subscribed,2026-01-01,,`);
    else if (i % 41 === 7) rows.push(`${who},"Name\r\nwith\nbreaks ${i}",fr,Europe/Paris,subscribed,2026-01-0${1 + (i % 9)},crm,a;b`);
    else if (i % 43 === 9) rows.push(`${who.toUpperCase()},Upper ${i},xx-!!,,pending,,,`);
    else rows.push(`${who},Reader ${i},ar,Asia/Dubai,${i % 5 === 0 ? 'unsubscribed' : 'subscribed'},2026-02-0${1 + (i % 9)},,`);
  }
  return rows.join(eol) + eol;
}
