import { Command } from 'commander';
import { serve } from '@hono/node-server';
import { createHttpApp } from '../http/app.js';
import { Scheduler } from '../service/scheduler.js';
import { formatSummary } from './summary.js';
import { openApp, withConfig, type CommonOptions } from './options.js';
import { onShutdownSignal, SHUTDOWN_DEADLINE_MS, withDeadline } from './signals.js';
import { startPreview, type RunningPreview } from '../preview/serve.js';

export function startCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('start')
    .description(
      'Run the service: sync the lists, send a due (or first) issue, then keep sending on each newsletter\'s schedule and serve the HTTP routes (health, unsubscribe, archive).\n' +
        'Stops cleanly on SIGINT/SIGTERM: messages in flight finish, then it exits 0.',
    )
    .option('--host <address>', 'address the HTTP server listens on', '127.0.0.1');
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { host: string }) => {
    const app = await openApp(opts);
    const http = createHttpApp({ store: app.store, config: app.config, clock: app.clock, logger: app.logger, transport: app.transport });
    const scheduler = new Scheduler(app, (s) => process.stderr.write(formatSummary(s)));
    let stopping: Promise<void> | undefined;
    const stopped = new Promise<void>((resolveStopped) => {
      const release = onShutdownSignal((signal) => {
        app.logger.info('stopping', { signal });
        stopping ??= (async () => {
          await withDeadline(scheduler.stop(), SHUTDOWN_DEADLINE_MS, () =>
            app.logger.warn(`messages still in flight after ${SHUTDOWN_DEADLINE_MS / 1000}s; stopping anyway (the next run reports them as in doubt)`),
          );
          await preview?.close();
          await new Promise<void>((r) => server.close(() => r()));
          await app.close();
          release();
          resolveStopped();
        })();
      });
    });
    const server = serve({ fetch: http.fetch, port: app.config.port, hostname: opts.host }, (info) => {
      app.logger.info('listening', { url: `http://${info.address === '::1' ? '[::1]' : info.address}:${info.port}/` });
      process.stderr.write(`HTTP: http://${opts.host}:${info.port}/ (archive; /healthz; unsubscribe links under ${app.config.publicUrl}/u/)\n`);
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      app.logger.error(`HTTP server cannot listen on ${opts.host}:${app.config.port}: ${e.message}; set PORT to a free port`);
      process.kill(process.pid, 'SIGTERM');
    });
    let preview: RunningPreview | undefined;
    if (app.config.preview.enabled) {
      const port = app.config.preview.port ?? (app.config.port === 0 ? 0 : app.config.port + 1);
      preview = await startPreview(app, { env: process.env, host: app.config.preview.host, port }).catch((e: Error) => {
        app.logger.error(`the preview cannot listen on ${app.config.preview.host}:${port}: ${e.message}; set preview.port in the config`);
        return undefined;
      });
      if (preview) process.stderr.write(`Preview: ${preview.url} (editors only; ${app.config.preview.host})\n`);
    }
    await scheduler.catchUp();
    scheduler.start();
    process.stderr.write('Running. Press Ctrl+C to stop.\n');
    await stopped;
    setExit(0);
  });
}
