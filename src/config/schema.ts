import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { parsePasswordHash } from '../domain/password-hash.js';
import { CronExpressionParser } from 'cron-parser';
import cron from 'node-cron';
import { parseDuration } from '../domain/duration.js';
import { isValidLocaleTag, isValidTimeZone } from '../domain/locale.js';
import { EVENT_TYPES } from '../domain/events.js';

/**
 * A duration as written ("90s", "15m", "6h", "30d", "2w"), given to the code in milliseconds:
 * parsed once here, so no use has to parse it again. Defaults go through `prefault` (the
 * written form, parsed like any value).
 */
const duration = (what: string) =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined, {
      message: `${what} must be a duration such as "90s", "15m", "6h", "30d" or "2w"`,
    })
    .transform((s) => parseDuration(s)!);

/** Both node-cron (which fires ticks) and cron-parser (which names slots) must accept it. */
const cronExpression = z.string().superRefine((expr, ctx) => {
  try {
    CronExpressionParser.parse(expr);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a valid cron expression (${(e as Error).message}); example: "0 8 * * 1" (Mondays 08:00)` });
    return;
  }
  if (!cron.validate(expr)) {
    ctx.addIssue({ code: 'custom', message: 'not a valid cron expression for node-cron; example: "0 8 * * 1"' });
    return;
  }
  const fields = expr.trim().split(/\s+/);
  const [dom, dow] = fields.length === 6 ? [fields[3], fields[5]] : [fields[2], fields[4]];
  if (dom !== '*' && dom !== '?' && dow !== '*' && dow !== '?') {
    ctx.addIssue({
      code: 'custom',
      message: 'sets both day-of-month and day-of-week; node-cron requires both to match while classic cron accepts either, so the schedule is ambiguous: restrict only one of them',
    });
  }
});

const timeZone = z.string().refine(isValidTimeZone, { message: 'unknown IANA time zone; example: "Europe/Paris"' });
const localeTag = z.string().refine(isValidLocaleTag, { message: 'not a BCP 47 language tag; example: "fr" or "fr-CA"' });

/** DNS labels, as a selector is (the public key is the TXT record at <selector>._domainkey.<domain>). */
const dkimSelector = z
  .string()
  .regex(/^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/, 'must be a DNS name such as nl2026 (letters, digits, hyphens; dots between labels)');

const dkimKey = z.strictObject({
  selector: dkimSelector,
  /** PEM private key (PKCS#8 or PKCS#1; RSA of 1024 bits or more, or Ed25519), relative to this file. */
  privateKeyFile: z.string().min(1),
  /** rsa or ed25519; optional, the key file says which, and a value given here must agree with it. */
  algorithm: z.enum(['rsa', 'ed25519']).optional(),
});

/**
 * DKIM signing; the public key of each selector must be in DNS. One key, as before:
 *   dkim: { domain: news.example.org, selector: nl2026, privateKeyFile: dkim.pem }
 * or several, each message then signed with every one of them, in this order (at most 4):
 *   dkim:
 *     domain: news.example.org
 *     keys:
 *       - { selector: nl2026, privateKeyFile: dkim-rsa.pem }
 *       - { selector: nl2026e, privateKeyFile: dkim-ed25519.pem, algorithm: ed25519 }
 * Ed25519 (RFC 8463) is signed beside an RSA key, never alone: receivers that do not know it
 * still verify the RSA signature. Rotating a key: publish the new selector, list it beside the
 * old one (messages carry both signatures, so they verify whichever record a receiver sees),
 * then, once the new record is everywhere, remove the old key.
 */
const dkimSchema = z
  .strictObject({
    /** The signing domain (d=); align it with the From domain for DMARC. */
    domain: z
      .string()
      .min(3)
      .refine((d) => domainToASCII(d) !== '', { message: 'must be a domain name such as news.example.org' }),
    /** The one key's selector (with privateKeyFile); or list the keys under `keys`. */
    selector: dkimSelector.optional(),
    privateKeyFile: z.string().min(1).optional(),
    keys: z.array(dkimKey).min(1, 'list at least one key').max(4, 'at most 4 keys: each adds a signature to every message').optional(),
  })
  .superRefine((d, ctx) => {
    if (d.keys) {
      for (const k of ['selector', 'privateKeyFile'] as const) {
        if (d[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `give the keys either under keys or as selector and privateKeyFile, not both: move ${k} into keys` });
      }
      const seen = new Set<string>();
      d.keys.forEach((k, i) => {
        if (seen.has(k.selector.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['keys', i, 'selector'], message: `selector "${k.selector}" is listed twice` });
        seen.add(k.selector.toLowerCase());
      });
      if (d.keys.every((k) => k.algorithm === 'ed25519')) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys'],
          message: 'an ed25519 key signs beside an rsa key, not alone: receivers that do not know Ed25519 (RFC 8463) would see unsigned mail; add an rsa key',
        });
      }
    } else {
      if (d.selector === undefined) ctx.addIssue({ code: 'custom', path: ['selector'], message: 'required with privateKeyFile (or list the keys under keys: [{ selector, privateKeyFile }])' });
      if (d.privateKeyFile === undefined) ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: 'required with selector (or list the keys under keys: [{ selector, privateKeyFile }])' });
    }
  });

const folderSource = z.strictObject({
  type: z.literal('folder'),
  path: z.string().min(1),
});

/** RSS 2.0, Atom 1.0 or JSON Feed 1.1, by URL (fetched with a timeout, a size cap and conditional GET) or by file. */
const feedSource = z
  .strictObject({
    type: z.literal('feed'),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), { message: 'must be an http(s) URL' })
      .optional(),
    file: z.string().min(1).optional(),
    timeout: duration('timeout').optional(),
    maxBytes: z.number().int().positive().optional(),
  })
  .refine((s) => Boolean(s.url) !== Boolean(s.file), { message: 'give either "url" or "file", not both' });

export const newsletterSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and hyphens, e.g. "weekly-brief"'),
    name: z.string().min(1),
    from: z.string().min(3),
    replyTo: z.string().optional(),
    schedule: cronExpression,
    timezone: timeZone,
    sources: z.array(z.union([folderSource, feedSource])).min(1, 'list at least one article source, e.g. [{ type: folder, path: articles }]'),
    template: z.string().default('default'),
    locales: z.strictObject({
      default: localeTag,
      supported: z.array(localeTag).min(1),
    }),
    topics: z.array(z.string()).default([]),
    maxArticles: z.number().int().min(1).max(100).default(8),
    /** What a first issue looks back over, as a duration, or "all" for every article. */
    firstIssueLookback: z.union([z.literal('all'), duration('firstIssueLookback')]).prefault('30d'),
    /** "immediate": a store that never sent this newsletter sends its latest slot at once. */
    firstIssue: z.enum(['immediate', 'next-slot']).default('next-slot'),
    /** Make an issue even when no article is new (the template then says so); default: no issue. */
    sendWhenEmpty: z.boolean().default(false),
    /** Version of the consent wording on the sign-up form, recorded with each consent (proof). */
    consentWording: z.string().min(1).default('signup-form-v1'),
    /** Each reader gets the issue at the slot's wall-clock time in their own time zone. */
    localTimeDelivery: z.boolean().default(false),
    /** A slot missed while the service was down is sent on start when it is at most this old. */
    catchUpGrace: duration('catchUpGrace').prefault('6h'),
    postalAddress: z.string().min(1, 'the footer needs a postal address (CAN-SPAM, and readers trust it)'),
    /** Domain part for Message-ID and List-Id; defaults to the From address's domain. */
    listDomain: z.string().optional(),
    /** A welcome mail after a confirmed sign-up (README § Welcome mail). */
    welcome: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** A template folder (like `template`) for the welcome mail; default the newsletter's, with the welcome above the articles. */
        template: z.string().min(1).optional(),
        /** Welcome readers added by the list file or `subscribers import` too (by default only confirmed sign-ups). */
        forImports: z.boolean().default(false),
      })
      .prefault({}),
    /** Editors' review before an issue goes (README § Editors). */
    review: z
      .strictObject({
        /** none: sent at the slot as ever; optional: a draft editors may change, sent as it stands; required: sent only once approved. */
        mode: z.enum(['none', 'optional', 'required']).default('none'),
        /** How long before its slot the next issue is composed as a draft and the editors told. */
        opensBefore: duration('review.opensBefore').prefault('24h'),
        /** Editors mailed when a draft opens and reminded when one waits for approval at its slot. */
        notify: z.array(z.string().regex(/^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$/, 'must be a plain address such as editor@example.org')).default([]),
        /** The preview's address as editors reach it, for the links in those mails; default http://127.0.0.1:<preview port>. */
        previewUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://preview.example.org' }).optional(),
      })
      .prefault({}),
  })
  .superRefine((n, ctx) => {
    if (!n.locales.supported.includes(n.locales.default)) {
      ctx.addIssue({ code: 'custom', path: ['locales', 'default'], message: `"${n.locales.default}" must be one of locales.supported` });
    }
  });

export const configSchema = z
  .strictObject({
    /** Folder for the SQLite store and captured mail (relative to the config file). */
    /**
     * Which transport carries the mail: `smtp` (the relay in SMTP_URL, required) or `capture`
     * (.eml files under dataDir/mail). Unset: smtp when SMTP_URL is set, else capture.
     */
    transport: z.enum(['smtp', 'capture']).optional(),
    dataDir: z.string().default('data'),
    subscribersDir: z.string().default('subscribers'),
    templatesDir: z.string().default('templates'),
    delivery: z
      .strictObject({
        /** Rows claimed at once; bounds the messages in doubt after a crash. */
        batchSize: z.number().int().min(1).max(500).default(50),
        leaseSeconds: z.number().int().min(5).max(600).default(60),
        maxConnections: z.number().int().min(1).max(50).default(5),
        /** How long a deferred message is retried before it is failed. */
        retryLifetime: duration('delivery.retryLifetime').prefault('3d'),
        /** Messages one pooled SMTP connection carries before it is recycled. */
        maxMessagesPerConnection: z.number().int().min(1).max(100_000).default(500),
        /** At most `messages` per `per` (e.g. 100 per "1s"); unset: as fast as the relay takes them. */
        rateLimit: z.strictObject({ messages: z.number().int().min(1), per: duration('delivery.rateLimit.per') }).optional(),
        /**
         * Deferred or in-doubt readers in a row after which a run stops (the relay is likely
         * down); the issue is not paused: its deferred readers are retried later. Default 20.
         */
        stopAfterFailures: z.number().int().min(1).optional(),
        /** The old name of stopAfterFailures (it never paused the issue); taken, with a warning. */
        pauseAfterFailures: z.number().int().min(1).optional(),
        /** Envelope sender for bounces; `{id}` becomes the outbox id (VERP): bounces+{id}@example.org. */
        bounceAddress: z
          .string()
          .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an address such as bounces+{id}@news.example.org')
          .optional(),
        /**
         * SMTP timeouts, each well under the lease: a relay that accepts DATA and then never
         * answers must not hold a reader's row (or a shutdown) for nodemailer's default 10 minutes.
         */
        timeouts: z
          .strictObject({
            /** To open the TCP (and TLS) connection. */
            connection: duration('delivery.timeouts.connection').prefault('15s'),
            /** From connecting to the server's 220 greeting. */
            greeting: duration('delivery.timeouts.greeting').prefault('15s'),
            /** Silence on an open connection (e.g. waiting for the reply after DATA). */
            socket: duration('delivery.timeouts.socket').prefault('30s'),
          })
          .prefault({}),
        /** Name given in EHLO/HELO; default: this host's name. An IP literal is warned about. */
        heloName: z.string().min(1).optional(),
        /**
         * RFC 9477 complaint feedback loop: digests carry `CFBL-Address: <this>; report=arf`,
         * covered by the DKIM signature. Its domain must align with delivery.dkim.domain.
         */
        complaintAddress: z
          .string()
          .regex(/^[^@\s;<>]+@[^@\s;<>]+\.[^@\s;<>]+$/, 'must be a plain address such as fbl@news.example.org')
          .optional(),
        /** DKIM signing with one or more private keys (PEM): see dkimSchema above. */
        dkim: dkimSchema.optional(),
      })
      .prefault({}),
    articles: z
      .strictObject({
        /** Extra patterns (regular expressions, case-insensitive) for page chrome to drop from article text. */
        noticePatterns: z
          .array(
            z.string().refine(
              (p) => {
                try {
                  new RegExp(p, 'i');
                  return true;
                } catch {
                  return false;
                }
              },
              { message: 'not a valid regular expression' },
            ),
          )
          .default([]),
        /** Article files larger than this are cut to it (and reported), never stored whole. */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
      })
      .prefault({}),
    /** The editor preview that `start` serves beside the public HTTP server. */
    preview: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Keep it on the loopback address: it shows every reader's name and can send mail. */
        host: z.string().default('127.0.0.1'),
        /** Default: PORT + 1 (any free port when PORT is 0). */
        port: z.number().int().min(0).max(65535).optional(),
        /** Extra host names the preview answers to (besides 127.0.0.1, localhost and [::1]): DNS-rebinding guard. */
        allowedHosts: z.array(z.string().min(1)).default([]),
        /**
         * Required when `host` is not a loopback address: editors then sign in with it. Better in the
         * environment (PREVIEW_PASSWORD) than in this file.
         */
        password: z.string().min(12, 'use at least 12 characters').optional(),
        /** Editor accounts: each signs in with a name and a password; edits are recorded under the name. */
        editors: z
          .array(
            z.strictObject({
              name: z
                .string()
                .min(1)
                .max(64)
                .regex(/^[^\p{Cc}]+$/u, 'use printable characters'),
              passwordHash: z.string().superRefine((h, ctx) => {
                const parsed = parsePasswordHash(h);
                if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: `${parsed.problem}; make one with \`newsletter editors hash\`` });
              }),
            }),
          )
          .max(100)
          .default([])
          .superRefine((list, ctx) => {
            const seen = new Set<string>();
            for (const [i, e] of list.entries()) {
              const key = e.name.trim().toLowerCase();
              if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${e.name}" is listed twice: each editor needs a name of their own` });
              seen.add(key);
            }
          }),
      })
      .prefault({}),
    /** The public HTTP server that `start` runs. */
    /**
     * Reports that come back after the relay's 250 (README § Bounces and complaints): how they
     * reach us, and what they change. Secrets come from the environment (IMAP_PASSWORD,
     * POSTMARK_WEBHOOK_PASSWORD, MAILGUN_WEBHOOK_SIGNING_KEY).
     */
    bounces: z
      .strictObject({
        /** The built-in SMTP receiver for the bounce domain, served by `start` (its MX points here). */
        smtp: z.strictObject({ host: z.string().min(1).default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(2525) }).optional(),
        /** A mailbox polled over IMAP, for those who cannot run an MX. */
        imap: z
          .strictObject({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(993),
            /** TLS from the start (993); false: STARTTLS, required except on loopback (no password in clear). */
            secure: z.boolean().default(true),
            user: z.string().min(1),
            mailbox: z.string().min(1).default('INBOX'),
            /** Where processed mail is moved; it is never deleted. */
            processedMailbox: z.string().min(1).default('Processed'),
            every: duration('bounces.imap.every').prefault('5m'),
          })
          .optional(),
        /** The mailto List-Unsubscribe address, with {id}; default unsubscribe+{id}@ the domain of delivery.bounceAddress. */
        unsubscribeAddress: z
          .string()
          .regex(/^[^@\s]*\{id\}[^@\s]*@[^@\s]+\.[^@\s]+$/, 'must be an address with {id} in its local part, such as unsubscribe+{id}@bounces.example.org')
          .optional(),
        /** Soft bounces that suppress an address: `limit` within `within` (listmonk-style). */
        softBounces: z.strictObject({ limit: z.number().int().min(1).default(3), within: duration('bounces.softBounces.within').prefault('30d') }).prefault({}),
        /** Complaint rate over an issue: above `pause` the newsletter's next sends wait (Gmail's limit is 0.3 %); above `warn`, a warning. */
        complaints: z.strictObject({ warnRate: z.number().min(0).max(1).default(0.001), pauseRate: z.number().min(0).max(1).default(0.003) }).prefault({}),
        /** Provider webhooks on the HTTP server, under /webhooks/<provider>; each verifies its signature. */
        webhooks: z
          .strictObject({
            /** Amazon SES through SNS: the topic ARNs to accept. */
            ses: z.strictObject({ topics: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN')).min(1) }).optional(),
            /** Postmark: HTTP Basic auth in the webhook URL; the password is POSTMARK_WEBHOOK_PASSWORD. */
            postmark: z.strictObject({ username: z.string().min(1) }).optional(),
            /** SendGrid signed event webhook: the verification key (base64) SendGrid shows. */
            sendgrid: z.strictObject({ publicKey: z.string().min(40) }).optional(),
            /** Mailgun: the signing key is MAILGUN_WEBHOOK_SIGNING_KEY. */
            mailgun: z.strictObject({}).optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    http: z
      .strictObject({
        /**
         * Behind a reverse proxy: take the client's address from X-Forwarded-For (the proxy's
         * last hop) for rate limits. Off by default, since anyone can send that header.
         */
        trustProxy: z.boolean().default(false),
      })
      .prefault({}),
    /**
     * Prometheus metrics at GET /metrics (README § Watching delivery): on the HTTP server of
     * `start`, or on a port of its own (which `worker` serves too). METRICS_TOKEN in the
     * environment makes it ask for `Authorization: Bearer <token>`.
     */
    metrics: z
      .strictObject({
        enabled: z.boolean().default(false),
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).default('127.0.0.1'),
      })
      .prefault({}),
    /**
     * Webhooks out: each endpoint gets the events it lists, as signed JSON (Standard Webhooks),
     * from a durable queue with retries. The secret is given here or, better, named by
     * `secretEnv` and read from the environment.
     */
    webhooks: z
      .array(
        z
          .strictObject({
            url: z
              .string()
              .url()
              .refine((u) => /^https?:\/\//.test(u), { message: 'must be an http(s) URL' }),
            events: z.array(z.enum(EVENT_TYPES)).min(1, `list the events to send, among ${EVENT_TYPES.join(', ')}`),
            secret: z.string().min(16, 'use at least 16 characters (or whsec_ and base64)').optional(),
            secretEnv: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. WEBHOOK_SECRET')
              .optional(),
          })
          .refine((w) => (w.secret === undefined) !== (w.secretEnv === undefined), { message: 'give either secret or secretEnv (the environment variable holding it)' }),
      )
      .max(20, 'at most 20 endpoints')
      .default([]),
    newsletters: z.array(newsletterSchema).min(1, 'define at least one newsletter'),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.newsletters.forEach((n, i) => {
      if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: ['newsletters', i, 'id'], message: `duplicate newsletter id "${n.id}"` });
      seen.add(n.id);
    });
  });

export type FileConfig = z.infer<typeof configSchema>;
export type NewsletterConfig = z.infer<typeof newsletterSchema>;

export type DkimConfig = z.infer<typeof dkimSchema>;

/** Each DKIM key as configured, in order, with where it is written (for messages that name the key). */
export function dkimKeys(dkim: DkimConfig): { selector: string; privateKeyFile: string; algorithm?: 'rsa' | 'ed25519'; at: string }[] {
  if (dkim.keys) return dkim.keys.map((k, i) => ({ ...k, at: `delivery.dkim.keys[${i}]` }));
  return [{ selector: dkim.selector!, privateKeyFile: dkim.privateKeyFile!, at: 'delivery.dkim' }];
}
