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
import { ErrorCodes, NewsletterError } from './domain/errors.js';
import { resolve } from 'node:path';

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
  close(): Promise<void>;
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
  const file = resolve(config.baseDir, dkim.privateKeyFile);
  let privateKey: string;
  try {
    privateKey = readFileSync(file, 'utf8');
  } catch (e) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `delivery.dkim.privateKeyFile: cannot read ${file}: ${(e as Error).message}`, { place: config.file });
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKey)) {
    throw new NewsletterError(ErrorCodes.CONFIG_INVALID, `delivery.dkim.privateKeyFile: ${file} is not a PEM private key`, { place: config.file });
  }
  return { ...base, dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey } };
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
  return {
    config,
    store,
    database: config.database,
    transport,
    clock: options.clock ?? systemClock,
    logger: options.logger,
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
