import { createApp, type App } from '../../src/app.js';
import { silentLogger, type Logger } from '../../src/domain/logger.js';
import type { Clock } from '../../src/domain/types.js';
import type { Transport } from '../../src/transport/transport.js';
import { TEST_ENV, type TestProject } from './project.js';

export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return { now: () => new Date(now), set: (t: string) => void (now = new Date(t)) };
}

export async function openTestApp(project: TestProject, options: { env?: Record<string, string>; clock?: Clock; transport?: Transport; logger?: Logger } = {}): Promise<App> {
  return createApp({
    configFile: project.configFile,
    env: { ...TEST_ENV, ...options.env },
    logger: options.logger ?? silentLogger,
    clock: options.clock,
    transport: options.transport,
  });
}
