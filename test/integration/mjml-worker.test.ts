import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileInWorker, IDLE_MS, MjmlCompileError, mjmlWorkerRunning, stopMjmlWorker } from '../../src/render/mjml-worker.js';

const options = { validationLevel: 'strict' as const, keepComments: false, filePath: fileURLToPath(import.meta.url), minify: true, minifyOptions: { minifyCss: false } };
const doc = (text: string, attrs = '') => `<mjml><mj-body><mj-section><mj-column><mj-text${attrs}>${text}</mj-text></mj-column></mj-section></mj-body></mjml>`;

/** Polls a condition (bounded), the way tests here wait for a state instead of sleeping. */
async function until(cond: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

describe('MJML worker', () => {
  afterEach(() => stopMjmlWorker());

  it('compiles in a worker thread: mjml is never loaded in this one', async () => {
    const [a, b] = await Promise.all([compileInWorker(doc('Hello {{name}}'), options), compileInWorker(doc('Zweite Ausgabe'), options)]);
    expect(a.html).toContain('Hello {{name}}');
    expect(b.html).toContain('Zweite Ausgabe');
    expect(a.warnings).toEqual([]);
    const cache = createRequire(import.meta.url).cache;
    expect(Object.keys(cache).filter((k) => /node_modules[\\/]mjml(-core)?[\\/]/.test(k))).toEqual([]);
  });

  it('brings back MJML validation errors with their line, tag and message', async () => {
    const err = await compileInWorker(doc('x', ' color="not-a-colour"'), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MjmlCompileError);
    const errors = (err as MjmlCompileError).errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ line: 1, tagName: 'mj-text' });
    expect(errors[0]!.message).toContain('not-a-colour');
    // The worker is still there for the next compile.
    expect((await compileInWorker(doc('after the error'), options)).html).toContain('after the error');
  });

  it('ends once idle, giving its memory back, and starts again on the next compile', async () => {
    await compileInWorker(doc('one'), options);
    expect(mjmlWorkerRunning()).toBe(true);
    expect(await until(() => !mjmlWorkerRunning(), IDLE_MS + 5000)).toBe(true);
    expect((await compileInWorker(doc('two'), options)).html).toContain('two');
  });

  it('a compile asked of a stopped worker fails with a reason, and the next one gets a new worker', async () => {
    const pending = compileInWorker(doc('cut short'), options);
    await stopMjmlWorker();
    await expect(pending).rejects.toThrow(/MJML worker stopped/);
    expect((await compileInWorker(doc('fresh'), options)).html).toContain('fresh');
  });
});
