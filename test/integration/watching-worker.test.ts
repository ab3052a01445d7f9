import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { makeProject, CONSENTING, type TestProject } from '../helpers/project.js';
import { killSpawned, runCli, spawnCli } from '../helpers/cli.js';
import { parsePrometheusText, sample } from '../helpers/prom-text.js';

/**
 * `worker` with `metrics.port`: it serves /metrics on that port (with the token) while it
 * delivers what `send --no-deliver` queued; a port already taken is logged and delivery goes on.
 */
const TOKEN = 'metrics-token-0123456789';
const AT = '2026-11-28T12:00:00Z';

describe('worker with metrics on a port of its own', () => {
  let project: TestProject | undefined;
  afterEach(() => {
    killSpawned();
    project?.cleanup();
  });

  const withMetricsPort = (port: number) => makeProject({ config: (y) => y.replace('newsletters:', 'preview:\n  enabled: false\n\nnewsletters:') + `\nmetrics:\n  enabled: true\n  port: ${port}\n` });

  it('serves /metrics on metrics.port, behind the token, counting what it delivered; SIGTERM stops it', async () => {
    project = withMetricsPort(0);
    const queued = await runCli(['send', '--no-deliver', '--at', AT, '--config', project.configFile], { timeoutMs: 60_000 });
    expect(queued.code, queued.stderr).toBe(0);
    const worker = spawnCli(['worker', '--poll', '0.2', '--config', project.configFile], { env: { METRICS_TOKEN: TOKEN } });
    await worker.waitFor(/Metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const port = /Metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(worker.stderr())![1];
    await worker.waitFor(new RegExp(`sent ${CONSENTING.length}`));
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
    expect(sample(metrics, 'newsletter_messages_total', { newsletter: 'weekly-brief', state: 'sent' })).toBe(CONSENTING.length);
    expect(sample(metrics, 'newsletter_outbox_rows', { state: 'queued' })).toBe(0);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 90_000);

  it('a metrics port already taken is logged, and the worker still delivers', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      project = withMetricsPort((taken.address() as AddressInfo).port);
      const queued = await runCli(['send', '--no-deliver', '--at', AT, '--config', project.configFile], { timeoutMs: 60_000 });
      expect(queued.code, queued.stderr).toBe(0);
      const worker = spawnCli(['worker', '--poll', '0.2', '--config', project.configFile]);
      await worker.waitFor(new RegExp(`sent ${CONSENTING.length}`));
      expect(worker.stderr()).toMatch(/metrics cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      taken.close();
    }
  }, 90_000);
});
