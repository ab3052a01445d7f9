/**
 * Reading one file of the article folder, the I/O edge of the folder source. Two kinds of bad
 * input are handled here, before any parsing:
 * - a symbolic link whose target resolves outside the folder (a link to /etc/passwd, to a folder
 *   of someone else's) is never followed: whoever can drop a link in articles/ must not be able
 *   to publish any file the service can read. Links that stay inside the folder are fine.
 * - a file over the size limit is read only up to the limit, never whole, and cut at a UTF-8
 *   character boundary: one 20 MB paste must not hold the run's memory or reach an email.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/** Default of config `articles.maxBytes`: 1 MiB, far above any real article. */
export const ARTICLE_MAX_BYTES = 1024 * 1024;

const CHUNK = 64 * 1024;

export type FolderFile =
  | { kind: 'text'; text: string; /** Set when the file was over the limit and cut. */ cut?: { size: number; kept: number } }
  /** Not a regular file (a folder, a link to a folder inside, a socket): not an article, silently passed over. */
  | { kind: 'not-a-file' }
  /** Refused with a reason for the report. */
  | { kind: 'refused'; reason: string };

/** True when `path` is `root` or lies below it (both already real paths). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The text of `file`, a name found in the folder whose real path is `realRoot`. The file opened
 * is the resolved real path that was checked, so a link swapped after the check is not followed.
 */
export function readFolderFile(file: string, realRoot: string, maxBytes: number): FolderFile {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'refused', reason: 'is a symbolic link whose target does not exist (a broken link)' };
    if (code === 'ELOOP') return { kind: 'refused', reason: 'is a symbolic link that loops back on itself' };
    throw e;
  }
  if (!isInside(realRoot, real)) {
    return { kind: 'refused', reason: `is a symbolic link to ${real}, outside the article folder ${realRoot}; links are followed only within the folder` };
  }
  // Non-blocking, so that a named pipe called "x.md" cannot hang the run waiting for a writer.
  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'not-a-file' };
    // Read in chunks until one byte past the limit (which tells "at the limit" from "over it"),
    // never more: the size stat gives may already be stale, and the file may be growing.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > maxBytes) break;
    }
    const bytes = Buffer.concat(chunks, length);
    if (length <= maxBytes) return { kind: 'text', text: bytes.toString('utf8') };
    const end = utf8Boundary(bytes, maxBytes);
    return { kind: 'text', text: bytes.toString('utf8', 0, end), cut: { size: Math.max(stat.size, length), kept: end } };
  } finally {
    closeSync(fd);
  }
}

/**
 * The largest index ≤ `at` where a UTF-8 character starts, so that bytes [0, index) hold whole
 * characters only: continuation bytes (10xxxxxx) are stepped over backwards, at most three.
 */
export function utf8Boundary(bytes: Uint8Array, at: number): number {
  let i = Math.min(at, bytes.length);
  const floor = Math.max(0, i - 3);
  while (i > floor && i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i--;
  return i;
}
