import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Environment } from '../config/load.js';
import type { App } from '../app.js';
import { createPreviewApp } from './preview-app.js';
import { LiveReload } from './live-reload.js';

export interface RunningPreview {
  url: string;
  close(): Promise<void>;
}

/** Serves the preview with live reload on host:port (port 0: any free port). */
export async function startPreview(app: App, options: { env: Environment; host: string; port: number; at?: Date }): Promise<RunningPreview> {
  const live = new LiveReload();
  const { config } = app;
  await live.start([
    config.file,
    config.paths.templates,
    config.paths.subscribers,
    ...new Set(config.newsletters.flatMap((n) => n.sources.flatMap((s) => (s.type === 'folder' ? [resolve(config.baseDir, s.path)] : s.file ? [resolve(config.baseDir, s.file)] : [])))),
  ]);
  const web = createPreviewApp(app, { env: options.env, at: options.at, live });
  const server = serve({ fetch: web.fetch, port: options.port, hostname: options.host });
  await new Promise<void>((ok, fail) => {
    server.once('listening', () => ok());
    server.once('error', (e) => fail(e));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`,
    async close() {
      await live.close();
      // Open event streams keep the server from closing: end them.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
