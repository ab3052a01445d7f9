/**
 * Work an HTTP route does after it has answered (the sign-up's store writes and its
 * confirmation mail), so the answer cannot tell, by its content or its time, whether the address
 * was known or whether the relay took the mail. A few tasks at a time; past `maxQueued` waiting,
 * new ones are dropped (`onDrop`), so a flood of requests cannot grow memory without bound.
 * A task's failure is its own business (it logs); `settled()` waits for all of them, for a
 * clean stop and for tests.
 */
export class AfterResponse {
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly onDrop: () => void,
    private readonly concurrency = 4,
    private readonly maxQueued = 1000,
  ) {}

  run(task: () => Promise<void>): void {
    if (this.queue.length >= this.maxQueued) return this.onDrop();
    this.queue.push(task);
    this.pump();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!;
      const p: Promise<void> = task()
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  /** Resolves once nothing is queued or running. */
  async settled(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) await Promise.all([...this.running]);
  }
}
