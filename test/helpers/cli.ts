import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO, TEST_ENV } from './project.js';

export const BIN = join(REPO, 'bin', 'newsletter.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_ENV, ...extra };
  delete env.NEWSLETTER_CONFIG;
  if (!extra.SMTP_URL) delete env.SMTP_URL;
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  return env;
}

/** Runs `newsletter ARGS` (the real bin, built dist) to completion; bounded by `timeoutMs`. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env: childEnv(options.env ?? {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`newsletter ${args.join(' ')} did not finish in time\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Long-running children still alive; a failed or timed-out test must not leave them behind. */
const live = new Set<ChildProcess>();

/** Kills every child spawnCli started that is still running (call in afterEach). */
export function killSpawned(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  live.clear();
}
process.once('exit', killSpawned);

/** Starts a long-running `newsletter ARGS` and lets the test wait for its output. */
export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env: childEnv(options.env ?? {}) });
  live.add(child);
  child.once('close', () => live.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    /** Resolves when stderr matches; rejects after `timeoutMs`. */
    async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stderr so far:\n${stderr}`);
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${pattern}; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
