import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../src/cli/signals.js';

describe('shutdown deadline', () => {
  afterEach(() => vi.useRealTimers());

  it('returns as soon as the work is done, without calling the timeout', async () => {
    const onTimeout = vi.fn();
    await withDeadline(Promise.resolve(), 30_000, onTimeout);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('gives up on work that hangs once the deadline passes', async () => {
    vi.useFakeTimers();
    const onTimeout = vi.fn();
    const hung = new Promise(() => {});
    const done = withDeadline(hung, 30_000, onTimeout);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(onTimeout).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(onTimeout).toHaveBeenCalledOnce();
  });
});
