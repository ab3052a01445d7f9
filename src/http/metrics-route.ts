import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import type { App } from '../app.js';
import { bearerMatches } from '../metrics/prometheus.js';

type Exposed = NonNullable<App['metrics']>;

/**
 * GET /metrics in Prometheus's text format, when `metrics.enabled`. With METRICS_TOKEN set it
 * asks for `Authorization: Bearer <token>` (compared in constant time); a wrong or missing one
 * gets 401 and no metric.
 */
export function metricsRoute(web: Hono, metrics: Exposed, token: string | undefined): void {
  web.get('/metrics', async (c) => {
    if (token !== undefined && !bearerMatches(c.req.header('authorization'), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.text('a bearer token is required (METRICS_TOKEN)\n', 401);
    }
    c.header('Content-Type', metrics.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.text());
  });
}

/** `metrics.port`: /metrics on a port of its own (and nothing else), for `start` and `worker`. */
export async function serveMetrics(app: Pick<App, 'config' | 'metrics' | 'logger'>): Promise<{ port: number; close(): Promise<void> } | undefined> {
  const { metrics, config } = app;
  if (!metrics || config.metrics.port === undefined) return undefined;
  const web = new Hono();
  metricsRoute(web, metrics, config.metricsToken);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: web.fetch, port: config.metrics.port!, hostname: config.metrics.host }, (info) =>
      resolve({ port: info.port, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
    server.once('error', reject);
  });
}
