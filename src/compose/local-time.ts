/** Wall-clock parts of an instant in a time zone. */
function partsIn(date: Date, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(fmt.formatToParts(date).map((x) => [x.type, x.value]));
  return { y: +p.year!, mo: +p.month!, d: +p.day!, h: +p.hour!, mi: +p.minute!, s: +p.second! };
}

/** The time zone's offset from UTC at an instant, in milliseconds. */
function offsetMs(date: Date, timeZone: string): number {
  const p = partsIn(date, timeZone);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(date.getTime() / 1000) * 1000;
}

/**
 * The instant a wall-clock time occurs in a time zone. A time skipped by a DST jump resolves
 * to the instant just after the jump; a repeated one to its first occurrence.
 */
export function zonedWallClockToInstant(wall: { y: number; mo: number; d: number; h: number; mi: number; s: number }, timeZone: string): Date {
  const asUtc = Date.UTC(wall.y, wall.mo - 1, wall.d, wall.h, wall.mi, wall.s);
  const DAY = 86_400_000;
  // The offsets a day before and after cover both sides of any DST change near this time.
  const candidates = [...new Set([asUtc - offsetMs(new Date(asUtc - DAY), timeZone), asUtc - offsetMs(new Date(asUtc + DAY), timeZone)])];
  const matches = candidates.filter((t) => {
    const p = partsIn(new Date(t), timeZone);
    return p.y === wall.y && p.mo === wall.mo && p.d === wall.d && p.h === wall.h && p.mi === wall.mi;
  });
  // Repeated wall-clock time: its first occurrence. Skipped one: the instant after the jump.
  return new Date(matches.length > 0 ? Math.min(...matches) : Math.max(...candidates));
}

/**
 * Local-time delivery: when a reader in `readerTz` should get an issue whose slot is `slot` in
 * `newsletterTz`: the same wall-clock time on the same calendar date in the reader's zone. A
 * reader for whom that moment is already past when the slot comes gets it at the slot.
 */
export function localDeliveryTime(slot: Date, newsletterTz: string, readerTz: string): Date {
  if (!readerTz || readerTz === newsletterTz) return slot;
  const local = zonedWallClockToInstant(partsIn(slot, newsletterTz), readerTz);
  return local.getTime() > slot.getTime() ? local : slot;
}
