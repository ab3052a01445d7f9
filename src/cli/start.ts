import { Command } from 'commander';
import { serve } from '@hono/node-server';
import { createHttpApp, type HttpApp } from '../http/app.js';
import { Scheduler } from '../service/scheduler.js';
import { formatSummary } from './summary.js';
import { openApp, withConfig, type CommonOptions } from './options.js';
import { CLOSE_BUDGET_MS, onShutdownSignal, SHUTDOWN_DEADLINE_MS, withDeadline } from './signals.js';
import { startPreview, type RunningPreview } from '../preview/serve.js';
import type { App } from '../app.js';
import { NewsletterError } from '../domain/errors.js';
import { startBounceReceiver } from '../inbound/smtp-receiver.js';
import { startImapPoller } from '../inbound/imap-poller.js';
import { createWebhookSender } from '../app.js';
import { serveMetrics } from '../http/metrics-route.js';

export function startCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('start')
    .description(
      "Run the service: sync the lists, send a due (or first) issue, then keep sending on each newsletter's schedule and serve the HTTP routes (health, unsubscribe, archive).\n" +
        `Stops cleanly on SIGINT/SIGTERM at any moment, within ${SHUTDOWN_DEADLINE_MS / 1000}s: messages in flight finish (or are recorded as in doubt), then it exits 0.`,
    )
    .option('--host <address>', 'address the HTTP server listens on', '127.0.0.1');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { host: string }) => {
    // The handlers go first: a signal while the store opens or during the first issue ends
    // `start` as well as one while it idles. `stop` begins the shutdown once there is an app.
    let asked: NodeJS.Signals | undefined;
    let begin: ((signal: NodeJS.Signals) => void) | undefined;
    let stopping: Promise<void> | undefined;
    let stopRequested!: () => void;
    const requested = new Promise<void>((r) => (stopRequested = r));
    const release = onShutdownSignal((signal) => {
      asked = signal;
      begin?.(signal);
      stopRequested();
    });
    try {
      const app = await openApp(opts);
      const scheduler = new Scheduler(app, (s) => process.stderr.write(formatSummary(s)));
      let setupDone: Promise<unknown> = Promise.resolve();
      let preview: RunningPreview | undefined;
      // The bounce intake's ways in that run with the service (the receiver, the IMAP poller).
      const intake: { close(): Promise<void> }[] = [];
      const http = createHttpApp({
        store: app.store,
        config: app.config,
        clock: app.clock,
        logger: app.logger,
        transport: app.transport,
        events: app.events,
        metrics: app.metrics,
        metricsExposed: app.metrics,
      });
      // Webhooks out run beside delivery, never in its way (webhooks/sender.ts); stopped before the store closes.
      const webhooks = createWebhookSender(app);
      webhooks?.start();
      if (webhooks) intake.push({ close: () => webhooks.stop() });
      const server = serve({ fetch: http.fetch, port: app.config.port, hostname: opts.host }, (info) => {
        app.logger.info('listening', { url: `http://${info.address === '::1' ? '[::1]' : info.address}:${info.port}/` });
        process.stderr.write(`HTTP: http://${opts.host}:${info.port}/ (archive; /healthz; unsubscribe links under ${app.config.publicUrl}/u/)\n`);
      });
      const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
        app.logger.info('stopping', { signal });
        // The scheduler stops first (its deliveries begin their stop at once), then what the
        // setup was still starting is awaited, so that it is closed too.
        const stopped = scheduler.stop();
        await setupDone.catch(() => undefined);
        await withDeadline(stopped, SHUTDOWN_DEADLINE_MS - CLOSE_BUDGET_MS, () =>
          app.logger.warn(`messages still in flight after ${(SHUTDOWN_DEADLINE_MS - CLOSE_BUDGET_MS) / 1000}s; stopping anyway (the next run reports them as in doubt)`),
        );
        await closeAll(app, server, preview, http, intake);
      };
      setupDone = (async () => {
        await new Promise<void>((resolve) => {
          server.once('listening', () => resolve());
          server.once('error', (e: NodeJS.ErrnoException) => {
            app.logger.error(`HTTP server cannot listen on ${opts.host}:${app.config.port}: ${e.message}; set PORT to a free port`);
            resolve();
            process.kill(process.pid, 'SIGTERM');
          });
        });
        if (app.config.preview.enabled && !stopping) {
          const port = app.config.preview.port ?? (app.config.port === 0 ? 0 : app.config.port + 1);
          preview = await startPreview(app, { env: process.env, host: app.config.preview.host, port }).catch((e: Error) => {
            // A refusal (a preview beyond loopback without a password) is the operator's to fix: exit 2.
            if (e instanceof NewsletterError) throw e;
            app.logger.error(`the preview cannot listen on ${app.config.preview.host}:${port}: ${e.message}; set preview.port in the config`);
            return undefined;
          });
          if (preview) process.stderr.write(`Preview: ${preview.url} (editors only; ${app.config.preview.host})\n`);
        }
        const receiver = app.config.bounces.smtp;
        if (receiver && !stopping) {
          const running = await startBounceReceiver(app, receiver).catch((e: Error) => {
            app.logger.error(`the bounce receiver cannot listen on ${receiver.host}:${receiver.port}: ${e.message}; set bounces.smtp.port to a free port`);
            return undefined;
          });
          if (running) {
            intake.push(running);
            process.stderr.write(`Bounces: SMTP on ${receiver.host}:${running.port} (the MX of ${app.config.delivery.bounceAddress?.split('@')[1] ?? 'the bounce domain'})\n`);
          }
        }
        if (!stopping) {
          const own = await serveMetrics(app).catch((e: Error) => {
            app.logger.error(`metrics cannot listen on ${app.config.metrics.host}:${app.config.metrics.port}: ${e.message}; set metrics.port to a free port`);
            return undefined;
          });
          if (own) {
            intake.push(own);
            process.stderr.write(`Metrics: http://${app.config.metrics.host}:${own.port}/metrics\n`);
          }
        }
        const mailbox = app.config.bounces.imap;
        if (mailbox && !stopping) {
          const poller = startImapPoller(app);
          intake.push({ close: () => poller.stop() });
          process.stderr.write(`Bounces: polling ${mailbox.user}@${mailbox.host}:${mailbox.port}/${mailbox.mailbox} every ${mailbox.every / 1000}s\n`);
        }
      })();
      // Only now: a shutdown awaits this setup, so that what it starts is closed too.
      begin = (signal) => void (stopping ??= shutdown(signal));
      if (asked) begin(asked);
      try {
        await setupDone;
        // A stop during the catch-up pass ends it (the scheduler is stopped), and then nothing
        // more starts: the store is about to close.
        if (!stopping) await scheduler.catchUp();
        if (!stopping) {
          scheduler.start();
          process.stderr.write('Running. Press Ctrl+C to stop.\n');
        }
      } catch (e) {
        if (!stopping) {
          // Not a stop: the error is the command's (exit 2), after everything is closed.
          await scheduler.stop();
          await closeAll(app, server, preview, http, intake);
          throw e;
        }
      }
      await requested;
      await stopping;
      setExit(0);
    } finally {
      release();
    }
  });
}

async function closeAll(app: App, server: ReturnType<typeof serve>, preview: RunningPreview | undefined, http: HttpApp, intake: { close(): Promise<void> }[]): Promise<void> {
  await preview?.close();
  for (const way of intake.splice(0)) await way.close();
  await new Promise<void>((r) => server.close(() => r()));
  // Sign-ups already answered finish (their store writes and mails) before the store closes.
  await withDeadline(http.settled(), CLOSE_BUDGET_MS, () => app.logger.warn('sign-ups still being handled at the stop; they are dropped'));
  await app.close();
}
