import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Environment } from '../config/load.js';
import type { App } from '../app.js';
import { createPreviewApp } from './preview-app.js';
import { LiveReload } from './live-reload.js';
import { assertSafeBinding } from './hosts.js';

export interface RunningPreview {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the preview with live reload on host:port (port 0: any free port). `preview` and `start`
 * both come here: beyond loopback it refuses to start without preview.password (CONFIG_INVALID).
 */
export async function startPreview(app: App, options: { env: Environment; host: string; port: number; at?: Date }): Promise<RunningPreview> {
  const { config } = app;
  assertSafeBinding(options.host, config.preview.password, config.preview.editors, config.preview.editorToken);
  const live = new LiveReload();
  await live.start([
    config.file,
    config.paths.templates,
    config.paths.subscribers,
    ...new Set(config.newsletters.flatMap((n) => n.sources.flatMap((s) => (s.type === 'folder' ? [resolve(config.baseDir, s.path)] : s.file ? [resolve(config.baseDir, s.file)] : [])))),
  ]);
  const web = createPreviewApp(app, { env: options.env, at: options.at, live, bindHost: options.host });
  const server = serve({ fetch: web.fetch, port: options.port, hostname: options.host });
  await new Promise<void>((ok, fail) => {
    server.once('listening', () => ok());
    server.once('error', (e) => fail(e));
  }).catch(async (e: unknown) => {
    // The watcher would keep the process alive after the error is reported.
    await live.close();
    throw e;
  });
  const { port } = server.address() as AddressInfo;
  // On every interface, the loopback name is the one address sure to reach it and be answered.
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    async close() {
      await live.close();
      // Open event streams keep the server from closing: end them.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
