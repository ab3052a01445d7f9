/**
 * The composition root: the one place that reads configuration and builds adapters (store,
 * transport, clock, logger). Everything else receives what it needs from here.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { loadConfig, type Config, type Environment } from './config/load.js';
import { systemClock, type Clock } from './domain/types.js';
import type { Logger } from './domain/logger.js';
import type { Store } from './store/store.js';
import { openStore } from './store/open.js';
import type { Transport } from './transport/transport.js';
import { createCaptureTransport } from './transport/capture.js';
import { createSmtpTransport } from './transport/smtp/client.js';
import type { DeliverySettings } from './delivery/deliver.js';
import { DKIM_HEADERS, type MessageOptions } from './delivery/message.js';
import { signingTransport } from './delivery/dkim.js';
import { dkimKeyAlgorithm } from './delivery/dkim-signer.js';
import { dkimKeys } from './config/schema.js';
import { ErrorCodes, NewsletterError } from './domain/errors.js';
import { resolve } from 'node:path';
import { domainToASCII } from 'node:url';
import type { NewsletterConfig } from './config/schema.js';
import { createDns } from './deliverability/dns.js';
import type { DoctorInput, DoctorPorts, HttpAnswer } from './deliverability/doctor.js';
import { probeRelay } from './transport/smtp/probe.js';
import { noEvents, type Events } from './domain/events.js';
import type { Metrics } from './domain/metrics.js';
import { webhookEvents } from './webhooks/fan-out.js';
import { WebhookSender } from './webhooks/sender.js';
import { prometheusMetrics, type PrometheusMetrics } from './metrics/prometheus.js';

export interface App {
  config: Config;
  store: Store;
  /** Where `store` is, for what opens a connection of its own to it (the list-sync thread). */
  database: Config['database'];
  transport: Transport;
  clock: Clock;
  logger: Logger;
  deliverySettings: DeliverySettings;
  messageOptions: MessageOptions;
  /** This process, as recorded on the outbox rows it claims. */
  workerId: string;
  /** Where what happens is told (webhooks out); queues nothing when no webhook is configured. */
  events: Events;
  /** Prometheus metrics of this process, when `metrics.enabled`. */
  metrics: (Metrics & Pick<PrometheusMetrics, 'text' | 'contentType'>) | undefined;
  close(): Promise<void>;
}

/** The webhook loop for `start` and `worker`, or undefined when no webhook is configured. */
export function createWebhookSender(app: Pick<App, 'store' | 'config' | 'clock' | 'logger'>, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): WebhookSender | undefined {
  if (app.config.webhookEndpoints.length === 0) return undefined;
  return new WebhookSender({ store: app.store, endpoints: app.config.webhookEndpoints, clock: app.clock, logger: app.logger, ...options });
}

export interface AppOptions {
  configFile?: string;
  env: Environment;
  logger: Logger;
  clock?: Clock;
  /** Tests inject a fault-injecting transport here. */
  transport?: Transport;
}

/** A secret kept in the data folder when NEWSLETTER_SECRET is unset, so links stay valid across restarts. */
function generatedSecret(dataDir: string): string {
  const file = join(dataDir, 'secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('hex');
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process created it first: use theirs.
      return readFileSync(file, 'utf8').trim();
    }
  }
}

function messageOptions(config: Config): MessageOptions {
  const { dkim, bounceAddress, complaintAddress } = config.delivery;
  const hooks = config.bounces.webhooks;
  const base: MessageOptions = {
    bounceAddress,
    complaintAddress,
    tagSecret: config.secrets[0],
    unsubscribeAddress: config.bounces.unsubscribeAddress,
    ...(hooks.postmark || hooks.sendgrid || hooks.mailgun ? { providerTags: { postmark: !!hooks.postmark, sendgrid: !!hooks.sendgrid, mailgun: !!hooks.mailgun } } : {}),
  };
  if (!dkim) return base;
  // Each key file read and checked once, here: a key DKIM cannot use stops the start (exit 2).
  const keys = dkimKeys(dkim).map(({ selector, privateKeyFile, algorithm, at }) => {
    const file = resolve(config.baseDir, privateKeyFile);
    let privateKey: string;
    try {
      privateKey = readFileSync(file, 'utf8');
    } catch (e) {
      throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${at}.privateKeyFile: cannot read ${file}: ${(e as Error).message}`, { place: config.file });
    }
    let found: 'rsa' | 'ed25519';
    try {
      found = dkimKeyAlgorithm(privateKey);
    } catch (e) {
      throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${at}.privateKeyFile: ${file} ${(e as Error).message}`, { place: config.file });
    }
    if (algorithm && algorithm !== found) {
      throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `${at}.algorithm: ${algorithm} is given, but ${file} holds an ${found} key; fix algorithm or point privateKeyFile at the ${algorithm} key`, {
        place: config.file,
      });
    }
    return { keySelector: selector, privateKey, algorithm: found };
  });
  if (!keys.some((k) => k.algorithm === 'rsa')) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, 'delivery.dkim.keys: every key is ed25519; receivers that do not know Ed25519 (RFC 8463) would see unsigned mail: add an rsa key beside it', {
      place: config.file,
    });
  }
  const [first] = keys;
  return {
    ...base,
    dkim: {
      domainName: domainToASCII(dkim.domain),
      keySelector: first!.keySelector,
      privateKey: first!.privateKey,
      ...(keys.length > 1 ? { keys: keys.map(({ keySelector, privateKey }) => ({ keySelector, privateKey })) } : {}),
    },
  };
}

/**
 * What `newsletter doctor` needs: the configuration, the DKIM keys as the service signs with them,
 * and its ports (DNS through the system resolver or `dnsServer`, the relay probe, plain HTTP).
 * The store is not opened: the doctor reads nothing of it.
 */
export function doctorSetup(options: { configFile?: string; env: Environment; dnsServer?: string; sendingIp?: string }): {
  config: Config;
  input: (newsletters: NewsletterConfig[]) => DoctorInput;
  ports: DoctorPorts;
} {
  const config = loadConfig({ file: options.configFile, env: options.env, readGeneratedSecret: () => 'doctor' });
  const message = messageOptions(config);
  const dkim = message.dkim && {
    domain: message.dkim.domainName,
    keys: (message.dkim.keys ?? [message.dkim]).map((k) => ({ selector: k.keySelector, privateKey: k.privateKey })),
  };
  const heloName = config.delivery.heloName ?? hostname();
  const timeouts = { connectionMs: config.delivery.timeouts.connection, greetingMs: config.delivery.timeouts.greeting, socketMs: config.delivery.timeouts.socket };
  const smtp = config.smtp;
  return {
    config,
    input: (newsletters) => ({
      newsletters,
      ...(config.delivery.bounceAddress ? { bounceAddress: config.delivery.bounceAddress } : {}),
      ...(dkim ? { dkim } : {}),
      heloName,
      heloConfigured: config.delivery.heloName !== undefined,
      bounceReceiver: config.bounces.smtp !== undefined,
      publicUrl: config.publicUrl,
      ...(smtp ? { relay: { host: smtp.host, port: smtp.port, shown: smtp.shown, auth: smtp.auth !== undefined } } : {}),
      ...(options.sendingIp ? { sendingIp: options.sendingIp } : {}),
    }),
    ports: {
      dns: createDns(options.dnsServer),
      ...(smtp ? { probeRelay: () => probeRelay(smtp, heloName, timeouts) } : {}),
      http: httpProbe,
    },
  };
}

/** One request for the doctor: no redirect followed, 10 s at most, the body cut at 64 KB. */
async function httpProbe(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      ...(form ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() } : {}),
    });
    const body = (await res.text()).slice(0, 65_536);
    const location = res.headers.get('location');
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, ...(location ? { location } : {}) };
  } catch (e) {
    const cause = (e as Error & { cause?: Error & { code?: string } }).cause;
    throw new Error(cause ? `${cause.code ?? ''} ${cause.message}`.trim() : (e as Error).message, { cause: e });
  }
}

export async function createApp(options: AppOptions): Promise<App> {
  const config = loadConfig({ file: options.configFile, env: options.env, readGeneratedSecret: generatedSecret });
  for (const w of config.warnings) options.logger.warn(w);
  const message = messageOptions(config);
  const store = await openStore(config.database);
  const carrier =
    options.transport ??
    (config.smtp
      ? createSmtpTransport({
          endpoint: config.smtp,
          timeouts: {
            connectionMs: config.delivery.timeouts.connection,
            greetingMs: config.delivery.timeouts.greeting,
            socketMs: config.delivery.timeouts.socket,
          },
          heloName: config.delivery.heloName ?? hostname(),
          logger: options.logger,
          maxConnections: config.delivery.maxConnections,
          maxMessages: config.delivery.maxMessagesPerConnection,
          rateLimit: config.delivery.rateLimit && { messages: config.delivery.rateLimit.messages, perMs: config.delivery.rateLimit.per },
        })
      : createCaptureTransport(config.paths.mail));
  const transport = message.dkim ? signingTransport(carrier, { ...message.dkim, headerFieldNames: DKIM_HEADERS }) : carrier;
  const clock = options.clock ?? systemClock;
  return {
    config,
    store,
    database: config.database,
    transport,
    clock,
    logger: options.logger,
    events: config.webhookEndpoints.length > 0 ? webhookEvents(config.webhookEndpoints) : noEvents,
    metrics: config.metrics.enabled ? prometheusMetrics(store, clock) : undefined,
    deliverySettings: {
      batchSize: config.delivery.batchSize,
      leaseSeconds: config.delivery.leaseSeconds,
      retryLifetimeMs: config.delivery.retryLifetime,
      stopAfterFailures: config.delivery.stopAfterFailures,
    },
    messageOptions: message,
    workerId: `${hostname()}:${process.pid}`,
    async close() {
      await transport.close();
      await store.close();
    },
  };
}
