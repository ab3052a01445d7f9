import { Command, InvalidArgumentError } from 'commander';
import { startPreview } from '../preview/serve.js';
import { openApp, parseAt, withAt, withConfig, type CommonOptions } from './options.js';
import { onShutdownSignal } from './signals.js';

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a TCP port, 0-65535 (0: any free port)');
  return n;
}

export function previewCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('preview')
    .description(
      'Preview the next issue in a browser: per newsletter, language and reader, desktop and mobile side by side, the text part, subject, preheader and headers, ' +
        'with template errors, missing translations and left-out articles shown in the page. Reloads when templates, locale files, articles, lists or the config change. ' +
        'Sends nothing unless you ask for a test. Stop with Ctrl+C.',
    )
    .option(
      '--host <address>',
      'address to listen on; beyond 127.0.0.1/::1/localhost editors must sign in with preview.password (or PREVIEW_PASSWORD), and host names they type go in preview.allowedHosts',
      '127.0.0.1',
    )
    .option('-p, --port <port>', 'port (0: any free port)', portNumber, 4000);
  withAt(withConfig(cmd));
  return cmd.action(async (opts: CommonOptions & { host: string; port: number; at?: string }) => {
    const at = parseAt(opts.at);
    const app = await openApp(opts);
    const preview = await startPreview(app, { env: process.env, host: opts.host, port: opts.port, at }).catch(async (e: Error) => {
      await app.close();
      throw e;
    });
    const signIn = app.config.preview.password ? '; editors sign in with preview.password' : '';
    process.stderr.write(`Preview: ${preview.url}  (Ctrl+C to stop${signIn})\n`);
    await new Promise<void>((resolve) => {
      const release = onShutdownSignal(() => {
        release();
        resolve();
      });
    });
    await preview.close();
    await app.close();
    setExit(0);
  });
}
