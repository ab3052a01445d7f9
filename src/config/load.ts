import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import { configSchema, type FileConfig, type NewsletterConfig } from './schema.js';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { knownKeysAt, nearest } from './known-keys.js';
import { parseSmtpUrl, type SmtpEndpoint } from './smtp-url.js';
import type { EventType } from '../domain/events.js';

export interface Environment {
  SMTP_URL?: string;
  DATABASE_URL?: string;
  PUBLIC_URL?: string;
  NEWSLETTER_SECRET?: string;
  NEWSLETTER_PREVIOUS_SECRET?: string;
  PORT?: string;
  /** Editors' password for a preview that is not on loopback (overrides preview.password). */
  PREVIEW_PASSWORD?: string;
  EDITOR_TOKEN?: string;
  /** The password of bounces.imap.user. */
  IMAP_PASSWORD?: string;
  /** The Basic auth password in Postmark's webhook URL (bounces.webhooks.postmark). */
  POSTMARK_WEBHOOK_PASSWORD?: string;
  /** Mailgun's webhook signing key (bounces.webhooks.mailgun). */
  MAILGUN_WEBHOOK_SIGNING_KEY?: string;
  /** Bearer token for GET /metrics (metrics.enabled). */
  METRICS_TOKEN?: string;
  /** Webhook secrets are read from the variables that `webhooks[].secretEnv` names. */
  [name: string]: string | undefined;
}

/** Validated configuration with every path absolute; read once, then passed down. */
export interface Config extends Omit<FileConfig, 'delivery' | 'preview'> {
  /** With EDITOR_TOKEN from the environment: scripts reach the preview with `Authorization: Bearer <token>`. */
  preview: FileConfig['preview'] & { editorToken?: string };
  delivery: Omit<FileConfig['delivery'], 'stopAfterFailures' | 'pauseAfterFailures'> & { stopAfterFailures: number };
  file: string;
  baseDir: string;
  /** Absolute folders, resolved from the config file's folder. */
  paths: { data: string; subscribers: string; templates: string; mail: string };
  /** The relay from SMTP_URL, parsed; unset (no SMTP_URL, or `transport: capture`): the capture transport. Never log it whole: use `shown`. */
  smtp: SmtpEndpoint | undefined;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  publicUrl: string;
  /** The first signs; all verify (rotation). */
  secrets: string[];
  /** True when NEWSLETTER_SECRET was not set and a per-store secret is used. */
  generatedSecret: boolean;
  /** The bounce intake's secrets, from the environment; never logged. */
  bounceSecrets: { imapPassword?: string; postmarkPassword?: string; mailgunSigningKey?: string };
  port: number;
  /** webhooks with their secrets resolved (from the file or the environment); never logged. */
  webhookEndpoints: { url: string; events: EventType[]; secret: string }[];
  /** METRICS_TOKEN: /metrics asks for it as a bearer token when set. */
  metricsToken: string | undefined;
  warnings: string[];
}

export const DEFAULT_CONFIG_FILE = 'newsletter.config.yaml';

function place(file: string, lineCounter: LineCounter, doc: ReturnType<typeof parseDocument>, path: PropertyKey[]): string {
  // Walk up the path until a node with a position exists (a missing key has none).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) {
      const { line } = lineCounter.linePos(node.range[0]);
      return `${file}:${line}`;
    }
  }
  return file;
}

/** `file:line` of a key itself (its value may start on a later line). */
function keyPlace(file: string, lineCounter: LineCounter, doc: ReturnType<typeof parseDocument>, parent: PropertyKey[], key: string): string {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent as (string | number)[], true);
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair && isNode(pair.key) && pair.key.range) return `${file}:${lineCounter.linePos(pair.key.range[0]).line}`;
  }
  return place(file, lineCounter, doc, parent);
}

function keyName(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(top level)';
}

/** Parses and validates the config text; pure apart from naming `file` in messages. */
export function parseConfigText(text: string, file: string): FileConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `YAML syntax error: ${e.message.split('\n')[0]}`, {
      place: line ? `${file}:${line}` : file,
    });
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const raw = doc.toJS() as { newsletters?: { id?: unknown }[] } | null;
    const lines = result.error.issues.flatMap((i) => {
      if (i.code === 'unrecognized_keys') {
        // One line per unknown key, at the key's own line, with the known key it most resembles.
        const known = knownKeysAt(configSchema, i.path);
        return i.keys.map((k) => {
          const guess = nearest(k, known);
          const hint = guess ? `did you mean "${guess}"?` : `known keys here: ${known.join(', ')}`;
          return `${keyPlace(file, lineCounter, doc, i.path, k)}: ${keyName([...i.path, k])}: unknown key; ${hint}`;
        });
      }
      // Name the newsletter by its id as well as its position: "newsletters[1] (weekly).schedule".
      const [top, index] = i.path;
      const id = top === 'newsletters' && typeof index === 'number' ? raw?.newsletters?.[index]?.id : undefined;
      const key = typeof id === 'string' ? keyName(i.path).replace(`newsletters[${index as number}]`, `newsletters[${index as number}] (${id})`) : keyName(i.path);
      return `${place(file, lineCounter, doc, i.path)}: ${key}: ${i.message}`;
    });
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

function resolveDatabase(url: string | undefined, dataDir: string, baseDir: string): Config['database'] {
  if (!url) return { kind: 'sqlite', file: resolve(dataDir, 'newsletter.sqlite') };
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'is not a valid URL; example: postgres://user@127.0.0.1:5432/newsletter', { place: 'DATABASE_URL' });
    }
    return { kind: 'postgres', url };
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  return { kind: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path) };
}

export interface LoadOptions {
  file?: string;
  env: Environment;
  /** Reads a secret persisted in the data folder when NEWSLETTER_SECRET is not set. */
  readGeneratedSecret?: (dataDir: string) => string;
}

export function loadConfig({ file, env, readGeneratedSecret }: LoadOptions): Config {
  const path = resolve(file ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `cannot read configuration (${why}); pass --config FILE or set NEWSLETTER_CONFIG`, { place: path });
  }
  const parsed = parseConfigText(text, path);
  const baseDir = dirname(path);
  const dir = (p: string) => resolve(baseDir, p);
  const data = dir(parsed.dataDir);
  const warnings: string[] = [];

  const port = env.PORT === undefined || env.PORT === '' ? 8080 : /^\d{1,5}$/.test(env.PORT.trim()) ? Number(env.PORT.trim()) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `"${env.PORT}" is not a TCP port (0-65535)`, { place: 'PORT' });
  }

  let publicUrl = env.PUBLIC_URL?.trim() || `http://localhost:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    publicUrl = u.href.replace(/\/+$/, '');
  } catch {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `"${env.PUBLIC_URL}" is not an http(s) URL; example: https://news.example.org`, { place: 'PUBLIC_URL' });
  }
  if (!publicUrl.startsWith('https:')) {
    warnings.push(`PUBLIC_URL is ${publicUrl}: unsubscribe links are not https, which mail providers require for one-click unsubscribe; set PUBLIC_URL=https://… before sending to real readers`);
  }

  let smtp = env.SMTP_URL?.trim() ? parseSmtpUrl(env.SMTP_URL) : undefined;
  if (parsed.transport === 'smtp' && !smtp) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'smtp, but SMTP_URL is not set; set SMTP_URL=smtp://user:password@relay.example.org:587, or set transport: capture', {
      place: `${path}: transport`,
    });
  }
  if (parsed.transport === 'capture' && smtp) {
    warnings.push(`${path}: transport is capture: SMTP_URL (${smtp.shown}) is not used; messages are written under ${resolve(data, 'mail')}`);
    smtp = undefined;
  }
  const previewPassword = env.PREVIEW_PASSWORD || parsed.preview.password;
  if (previewPassword !== undefined && previewPassword.length < 12) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'must be at least 12 characters', { place: 'PREVIEW_PASSWORD' });
  }

  const editorToken = env.EDITOR_TOKEN?.trim() || undefined;
  if (editorToken !== undefined && editorToken.length < 24) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'must be at least 24 characters; generate one with `openssl rand -hex 24`', { place: 'EDITOR_TOKEN' });
  }

  let secrets: string[];
  let generatedSecret = false;
  if (env.NEWSLETTER_SECRET) {
    if (env.NEWSLETTER_SECRET.length < 16) {
      throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'must be at least 16 characters; generate one with `openssl rand -hex 32`', { place: 'NEWSLETTER_SECRET' });
    }
    secrets = [env.NEWSLETTER_SECRET, ...(env.NEWSLETTER_PREVIOUS_SECRET ? [env.NEWSLETTER_PREVIOUS_SECRET] : [])];
  } else {
    secrets = [readGeneratedSecret ? readGeneratedSecret(data) : randomBytes(32).toString('hex')];
    generatedSecret = true;
  }

  const bounces = { ...parsed.bounces };
  const need = (set: unknown, value: string | undefined, name: string, key: string) => {
    if (set && !value) throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${key} is set, but ${name} is not: set ${name} in the environment`, { place: `${path}: ${key}` });
  };
  need(bounces.imap, env.IMAP_PASSWORD, 'IMAP_PASSWORD', 'bounces.imap');
  need(bounces.webhooks.postmark, env.POSTMARK_WEBHOOK_PASSWORD, 'POSTMARK_WEBHOOK_PASSWORD', 'bounces.webhooks.postmark');
  need(bounces.webhooks.mailgun, env.MAILGUN_WEBHOOK_SIGNING_KEY, 'MAILGUN_WEBHOOK_SIGNING_KEY', 'bounces.webhooks.mailgun');
  if ((bounces.smtp || bounces.imap) && !parsed.delivery.bounceAddress) {
    warnings.push(`${path}: bounces.smtp/imap is set but delivery.bounceAddress is not: bounces then go to the From address, and only those that quote our Message-ID can be matched`);
  }
  // The mailto unsubscribe address needs the receiver: by default on the bounce address's domain.
  if (!bounces.unsubscribeAddress && bounces.smtp && parsed.delivery.bounceAddress) {
    bounces.unsubscribeAddress = `unsubscribe+{id}@${parsed.delivery.bounceAddress.split('@')[1]}`;
  }

  const webhookEndpoints = parsed.webhooks.map((w, i) => {
    const secret = w.secret ?? env[w.secretEnv!];
    if (!secret) throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `webhooks[${i}].secretEnv names ${w.secretEnv}, which is not set: set it in the environment`, { place: path });
    if (secret.length < 16) throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'must be at least 16 characters (or whsec_ and base64)', { place: w.secretEnv! });
    return { url: w.url, events: w.events, secret };
  });
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'must be at least 16 characters', { place: 'METRICS_TOKEN' });

  const { pauseAfterFailures, stopAfterFailures, ...delivery } = parsed.delivery;
  if (pauseAfterFailures !== undefined) {
    warnings.push(
      `${path}: delivery.pauseAfterFailures is now delivery.stopAfterFailures (a burst of failures stops the run; the issue is not paused)${stopAfterFailures === undefined ? '; its value is used' : '; stopAfterFailures is set too and wins'}`,
    );
  }

  return {
    ...parsed,
    delivery: { ...delivery, stopAfterFailures: stopAfterFailures ?? pauseAfterFailures ?? 20 },
    bounces,
    bounceSecrets: { imapPassword: env.IMAP_PASSWORD, postmarkPassword: env.POSTMARK_WEBHOOK_PASSWORD, mailgunSigningKey: env.MAILGUN_WEBHOOK_SIGNING_KEY },
    file: path,
    baseDir,
    paths: { data, subscribers: dir(parsed.subscribersDir), templates: dir(parsed.templatesDir), mail: resolve(data, 'mail') },
    preview: { ...parsed.preview, password: previewPassword, editorToken },
    smtp,
    database: resolveDatabase(env.DATABASE_URL?.trim() || undefined, data, baseDir),
    publicUrl,
    secrets,
    generatedSecret,
    port,
    webhookEndpoints,
    metricsToken,
    warnings,
  };
}

export function findNewsletter(config: Config, id: string | undefined): NewsletterConfig[] {
  if (id === undefined) return config.newsletters;
  const n = config.newsletters.find((x) => x.id === id);
  if (!n) {
    throw new NewsletterError(ErrorCodes.USAGE, `no newsletter "${id}" in ${config.file}; known: ${config.newsletters.map((x) => x.id).join(', ')}`);
  }
  return [n];
}
