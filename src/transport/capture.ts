import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signMessage } from '../delivery/dkim-signer.js';
import { joinRaw, TransportError, type OutgoingMessage, type SendResult, type Transport } from './transport.js';

/**
 * Writes each message as a `.eml` file (CRLF line ends, as on the wire; DKIM-signed when the
 * message asks for it) instead of sending it, so a first run needs no SMTP server and every
 * message can be opened in a mail client.
 */

/** Errors of a full disk (or an exhausted quota). */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Writes a captured message whole or not at all: into a temporary file beside it, then renamed.
 * A message cut short by a full disk leaves nothing that looks sent. The folder is the owner's
 * alone (0700) and so is each message (0600): they hold readers' addresses and live links.
 * A failure is `deferred` (no copy of the message exists, so the reader stays to be sent), and a
 * full disk says so in one line naming the folder.
 */
async function writeWhole(file: string, content: Buffer, dir: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (e) {
    await rm(temporary, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    const message = DISK_FULL.has(code ?? '')
      ? `the disk holding ${dir} is full (${code}); free some space there; the reader stays to be sent (deferred)`
      : `cannot write the message to ${dir}: ${(e as Error).message}`;
    throw new TransportError('deferred', message, { handedOver: false }, { cause: e });
  }
}

export function createCaptureTransport(dir: string): Transport {
  return {
    name: 'capture',
    location: dir,
    async send(message: OutgoingMessage): Promise<SendResult> {
      // Signed here only when handed a key directly (delivery/dkim.ts signs before the carrier).
      const bytes = joinRaw((await signMessage(message)).raw);
      const file = join(dir, `${message.key}.eml`);
      await writeWhole(file, bytes, dir);
      return { messageId: message.messageId, response: `250 captured to ${file}` };
    },
    async close() {},
  };
}
