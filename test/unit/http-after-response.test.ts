import { describe, expect, it } from 'vitest';
import { AfterResponse } from '../../src/http/after-response.js';
import { until } from '../helpers/wait.js';

/** A task that runs until the test lets it end. */
function gated() {
  let started = 0;
  const releases: (() => void)[] = [];
  const task = () =>
    new Promise<void>((resolve) => {
      started++;
      releases.push(resolve);
    });
  return { task, started: () => started, releaseAll: () => releases.splice(0).forEach((r) => r()) };
}

describe('AfterResponse', () => {
  it('runs at most `concurrency` tasks at once and starts the next as one ends', async () => {
    const after = new AfterResponse(() => undefined, 2);
    const g = gated();
    for (let i = 0; i < 5; i++) after.run(g.task);
    expect(g.started()).toBe(2);
    g.releaseAll();
    await until('the next two tasks started', () => g.started() === 4);
    let done = false;
    const settled = after.settled().then(() => (done = true));
    g.releaseAll();
    await until('the last task started', () => g.started() === 5);
    expect(done).toBe(false);
    g.releaseAll();
    await settled;
    expect(done).toBe(true);
  });

  it('drops what comes past `maxQueued` waiting, and says so', async () => {
    let dropped = 0;
    const after = new AfterResponse(() => void dropped++, 1, 2);
    const g = gated();
    for (let i = 0; i < 5; i++) after.run(g.task);
    // One running, two waiting, two dropped.
    expect([g.started(), dropped]).toEqual([1, 2]);
    const settled = after.settled();
    for (let n = 1; n <= 3; n++) {
      await until(`task ${n} started`, () => g.started() === n);
      g.releaseAll();
    }
    await settled;
    expect(g.started()).toBe(3);
  });

  it('goes on after a task that fails', async () => {
    const after = new AfterResponse(() => undefined, 1);
    const ran: string[] = [];
    after.run(async () => {
      ran.push('bad');
      throw new Error('relay down');
    });
    after.run(async () => void ran.push('good'));
    await after.settled();
    expect(ran).toEqual(['bad', 'good']);
  });
});
