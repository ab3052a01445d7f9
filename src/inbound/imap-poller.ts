import { ImapFlow } from 'imapflow';
import type { App } from '../app.js';
import { fitsAddressTemplate } from '../bounces/intake.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { MAX_REPORT_BYTES, takeReportMail } from '../service/bounce-intake.js';

/** What one poll did. */
export interface PollResult {
  /** Mails looked at (at most `maxPerPoll`). */
  seen: number;
  /** Mails the intake took (each may hold several reports, or none it understood). */
  taken: number;
  /** Mails moved to the processed mailbox: the taken ones and the oversized ones. */
  moved: number;
  /** Mails the intake could not take (the store is down): left in the mailbox for the next poll. */
  failed: number;
  /** Mails over MAX_REPORT_BYTES: not read, moved so they do not block the mailbox. */
  tooLarge: number;
  /** Mails beyond this poll's bound, for the next one. */
  left: number;
  reports: number;
  /** Reports taken before (the same mail again): nothing changed. */
  duplicates: number;
  /** Reports that matched no message of ours (or none with proof): recorded and listed. */
  unmatched: number;
  /** Effects by what they changed ("bounced, suppressed": 1). */
  effects: Record<string, number>;
  /** The connection or IMAP error that ended this poll early; the next poll tries again. */
  error?: string;
}

export interface ImapPoller {
  /** One poll now, after any running one (polls never overlap). */
  pollOnce(): Promise<PollResult>;
  /** Ends the timer and waits for a running poll, which stops at its next mail and logs out. */
  stop(): Promise<void>;
}

export interface ImapPollerOptions {
  /** Poll at once, then `bounces.imap.every` after each poll ends (default); false: only `pollOnce()` polls. */
  timer?: boolean;
  /** Bound on one poll's work; the rest waits for the next poll. */
  maxPerPoll?: number;
}

type PollerApp = Pick<App, 'store' | 'logger' | 'config' | 'clock'>;

const loopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

const emptyResult = (): PollResult => ({ seen: 0, taken: 0, moved: 0, failed: 0, tooLarge: 0, left: 0, reports: 0, duplicates: 0, unmatched: 0, effects: {} });

/**
 * The address a mail was delivered to, from the headers the delivering MTA adds (Postfix:
 * Delivered-To, and X-Original-To before aliases). One shaped like our bounce or unsubscribe
 * address is preferred: behind an alias, Delivered-To names the mailbox, not the VERP address.
 */
export function deliveredTo(headers: Buffer | undefined, ours: (address: string) => boolean): string | undefined {
  if (!headers) return undefined;
  const lines = headers
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/);
  const found: string[] = [];
  for (const name of ['delivered-to', 'x-original-to']) {
    for (const line of lines) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m?.[1]!.toLowerCase() !== name) continue;
      const address = (/<([^>]*)>/.exec(m[2]!)?.[1] ?? m[2]!).trim();
      if (address) found.push(address);
    }
  }
  return found.find(ours) ?? found[0];
}

/**
 * Polls `bounces.imap.mailbox` for bounces and complaints, for those who cannot run an MX. Each
 * poll opens its own connection (nothing stays open between polls, so a dropped connection is
 * simply the next poll's fresh start), takes each mail (service/bounce-intake.ts), and moves it
 * to `processedMailbox` only after the intake has recorded it. Mail is never deleted.
 */
export function startImapPoller(app: PollerApp, options: ImapPollerOptions = {}): ImapPoller {
  const { config, logger } = app;
  const imap = config.bounces.imap;
  const password = config.bounceSecrets.imapPassword;
  if (!imap || !password) throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'bounces.imap and IMAP_PASSWORD are needed to poll a mailbox', { place: config.file });
  const maxPerPoll = options.maxPerPoll ?? 500;
  const where = { host: imap.host, port: imap.port, user: imap.user, mailbox: imap.mailbox };
  const ours = (a: string) => fitsAddressTemplate(config.delivery.bounceAddress, a) || fitsAddressTemplate(config.bounces.unsubscribeAddress, a);
  let stopped = false;
  /** UIDs the intake could not take, in the mailbox of this UIDVALIDITY. */
  const failedBefore = new Set<number>();
  let failedIn = '';

  async function drain(client: ImapFlow, result: PollResult): Promise<void> {
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    const validity = client.mailbox ? String(client.mailbox.uidValidity) : '';
    if (validity !== failedIn) failedBefore.clear();
    failedIn = validity;
    // Mail that failed before goes last, so that more of it than one poll's bound cannot starve
    // the mail behind it.
    uids.sort((a, b) => Number(failedBefore.has(a)) - Number(failedBefore.has(b)) || a - b);
    const batch = uids.slice(0, maxPerPoll);
    result.left = uids.length - batch.length;
    if (batch.length === 0) return;
    await ensureMailbox(client, imap!.processedMailbox);

    // Sizes and delivery headers first: a FETCH in progress allows no other command on the
    // connection, and one source at a time bounds memory to one report.
    const mails: { uid: number; size: number; envelopeTo?: string }[] = [];
    for await (const m of client.fetch(batch, { uid: true, size: true, headers: ['delivered-to', 'x-original-to'] }, { uid: true })) {
      mails.push({ uid: m.uid, size: m.size ?? 0, envelopeTo: deliveredTo(m.headers, ours) });
    }
    const move = async (uid: number) => {
      // Without MOVE (RFC 6851) imapflow copies, flags \Deleted and expunges by UID (UIDPLUS).
      if (await client.messageMove(String(uid), imap!.processedMailbox, { uid: true })) result.moved++;
      else logger.warn('IMAP: a processed mail could not be moved; it will be taken again (a no-op) next poll', { ...where, uid });
    };
    for (const mail of mails) {
      if (stopped) break;
      result.seen++;
      if (mail.size > MAX_REPORT_BYTES) {
        result.tooLarge++;
        logger.warn(`IMAP: a mail of ${mail.size} bytes is larger than a report can be (${MAX_REPORT_BYTES}): not read, moved to ${imap!.processedMailbox} unread`, { ...where, uid: mail.uid });
        await move(mail.uid);
        continue;
      }
      const fetched = await client.fetchOne(String(mail.uid), { source: true }, { uid: true });
      if (!fetched || !fetched.source) continue; // another client moved it meanwhile
      let taken;
      try {
        taken = await takeReportMail(app, fetched.source, { channel: 'imap', envelopeTo: mail.envelopeTo });
      } catch (e) {
        result.failed++;
        failedBefore.add(mail.uid);
        logger.error('IMAP: a mail could not be taken; left in the mailbox for the next poll', { ...where, uid: mail.uid, error: (e as Error).message });
        continue;
      }
      result.taken++;
      failedBefore.delete(mail.uid);
      for (const r of taken) {
        result.reports++;
        if (!r.recorded) result.duplicates++;
        else if (!r.verified) result.unmatched++;
        if (r.effect) result.effects[r.effect] = (result.effects[r.effect] ?? 0) + 1;
      }
      // Moved only now that the intake has recorded it: a crash before this line leaves the mail
      // in place, and the next poll takes it again, which the intake's dedupe (same content, same
      // event) makes a no-op. So a report is never lost on a crash, and never counted twice.
      await move(mail.uid);
    }
  }

  async function ensureMailbox(client: ImapFlow, path: string): Promise<void> {
    try {
      // An existing mailbox answers ALREADYEXISTS, which imapflow reports as created: false.
      if ((await client.mailboxCreate(path)).created) logger.info(`IMAP: created ${path} for processed mail`, where);
    } catch (e) {
      // Some servers refuse an existing mailbox without ALREADYEXISTS: missing only if STATUS fails too.
      await client.status(path, { messages: true }).catch(() => {
        throw e;
      });
    }
  }

  async function poll(): Promise<PollResult> {
    const result = emptyResult();
    if (stopped) return result;
    const client = new ImapFlow({
      host: imap!.host,
      port: imap!.port,
      secure: imap!.secure,
      // Without TLS from the start, the password crosses the network only after STARTTLS: a
      // server (or someone on the path) that does not offer it is refused. Loopback may be plain.
      doSTARTTLS: imap!.secure || loopback(imap!.host) ? undefined : true,
      auth: { user: imap!.user, pass: password! },
      // imapflow's own logger would print every command; ours says what matters, never the password.
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
      socketTimeout: 120_000,
    });
    // Socket trouble is also emitted as 'error': unhandled, it would end the process.
    client.on('error', (e: Error) => logger.warn('IMAP: connection error', { ...where, error: e.message }));
    try {
      await client.connect();
      const lock = await client.getMailboxLock(imap!.mailbox);
      try {
        await drain(client, result);
      } finally {
        lock.release();
      }
    } catch (e) {
      const err = e as Error & { responseText?: string; code?: string };
      result.error = [err.message, err.responseText].filter(Boolean).join(': ');
      logger.warn('IMAP: poll failed; trying again at the next poll', { ...where, error: result.error, code: err.code });
    } finally {
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
    if (result.seen > 0 || result.left > 0) logger.info('IMAP: poll done', { ...where, ...result });
    return result;
  }

  let queue: Promise<unknown> = Promise.resolve();
  const pollOnce = (): Promise<PollResult> => {
    const next = queue.then(poll);
    queue = next.catch(() => undefined);
    return next;
  };

  let timer: NodeJS.Timeout | undefined;
  // The next poll is due `every` after the last one ended: an unreachable server is tried once
  // per interval, never in a tight loop, and a slow poll never overlaps the next.
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => void pollOnce().finally(() => schedule(imap!.every)), delay);
    timer.unref();
  };
  if (options.timer !== false) schedule(0);

  return {
    pollOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await queue;
    },
  };
}
