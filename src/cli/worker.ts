import { Command, InvalidArgumentError } from 'commander';
import { Scheduler } from '../service/scheduler.js';
import { formatSummary } from './summary.js';
import { openApp, withConfig, type CommonOptions } from './options.js';
import { createWebhookSender } from '../app.js';
import { serveMetrics } from '../http/metrics-route.js';
import { CLOSE_BUDGET_MS, onShutdownSignal, SHUTDOWN_DEADLINE_MS, withDeadline } from './signals.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('seconds between 0 and 3600, e.g. 2');
  return n;
}

export function workerCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('worker')
    .description(
      'Run only delivery: deliver the queued (and due deferred) readers of every issue, no schedules and no HTTP. ' +
        'Run several, on several machines, against one PostgreSQL (DATABASE_URL); they share the work and mail each reader once. ' +
        'Exits 0 on SIGINT/SIGTERM after the messages in flight.',
    )
    .option('--poll <seconds>', 'how often an idle worker looks for work', seconds, 2);
  withConfig(cmd);
  return cmd.action(async (opts: CommonOptions & { poll: number }) => {
    const app = await openApp(opts);
    let delivered = 0;
    const scheduler = new Scheduler(app, (s) => {
      delivered += s.attempted ?? 0;
      process.stderr.write(formatSummary(s));
    });
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let stopping = false;
    const release = onShutdownSignal(() => {
      stopping = true;
      stop();
      // Aborts the delivery in progress after its batch in flight.
      void scheduler.stop();
    });
    app.logger.info('worker started', { worker: app.workerId, poll: opts.poll });
    const webhooks = createWebhookSender(app);
    webhooks?.start();
    // As `start` does: a metrics port that cannot be opened is logged, and delivery goes on.
    const metrics = await serveMetrics(app).catch((e: Error) => {
      app.logger.error(`metrics cannot listen on ${app.config.metrics.host}:${app.config.metrics.port}: ${e.message}; set metrics.port to a free port`);
      return undefined;
    });
    if (metrics) process.stderr.write(`Metrics: http://${app.config.metrics.host}:${metrics.port}/metrics\n`);
    const loop = (async () => {
      while (!stopping) {
        await scheduler.retryDue().catch((e: unknown) => app.logger.error('delivery round failed; trying again', { error: (e as Error).message }));
        await Promise.race([stopped, new Promise((r) => setTimeout(r, opts.poll * 1000))]);
      }
    })();
    try {
      await stopped;
      // Deliveries give up on messages in flight by themselves (delivery's STOP_GRACE_MS); this is the backstop.
      const limit = SHUTDOWN_DEADLINE_MS - CLOSE_BUDGET_MS;
      await withDeadline(loop, limit, () => app.logger.warn(`messages still in flight after ${limit / 1000}s; stopping anyway`));
    } finally {
      await scheduler.stop();
      await webhooks?.stop();
      await metrics?.close();
      release();
      app.logger.info('worker stopped', { worker: app.workerId, delivered });
      process.stderr.write(`worker ${app.workerId} delivered ${delivered} message(s)\n`);
      await app.close();
    }
    setExit(0);
  });
}
