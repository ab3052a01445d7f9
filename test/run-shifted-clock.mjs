#!/usr/bin/env node
// Runs the test files that do not start Chromium again with the system clock moved to another
// date (libfaketime), so a test that reads the wall clock instead of pinning `--at` or injecting
// the clock fails here, not on the day the calendar catches up with it. The date is just after a
// summer-time change in Europe (the sample newsletter's zone), where slot arithmetic breaks first.
// Chromium does not run under libfaketime, so the browser tests run only in the plain pass.
// Monotonic clocks are left alone: timers and timeouts run at their real speed.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const AT = process.env.SHIFTED_CLOCK_AT ?? '2031-03-30 09:00:00';

const which = spawnSync('sh', ['-c', 'command -v faketime'], { encoding: 'utf8' });
if (which.status !== 0) {
  console.error('test/run-shifted-clock.mjs: faketime is not installed; install it (Debian: apt-get install faketime) to run the shifted-clock pass of npm test');
  process.exit(1);
}

const files = readdirSync(join(REPO, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join(REPO, 'test', f))
  .filter((f) => !/helpers\/browser|playwright-core/.test(readFileSync(f, 'utf8')))
  .map((f) => relative(REPO, f))
  .sort();

console.error(`shifted clock: ${files.length} test files with the clock at ${AT} (UTC)`);
const run = spawnSync('faketime', ['-f', `@${AT}`, process.execPath, join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...files], {
  cwd: REPO,
  stdio: 'inherit',
  env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1', TZ: 'UTC' },
});
process.exit(run.status ?? 1);
