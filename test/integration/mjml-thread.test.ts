import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../helpers/project.js';
import { until } from '../helpers/wait.js';
import { compileInThread, IDLE_MS, MjmlCompileError, mjmlThreadRunning, releaseMjmlThread, stopMjmlThread } from '../../src/render/mjml-thread.js';

const options = { validationLevel: 'strict' as const, keepComments: false, filePath: fileURLToPath(import.meta.url), minify: true, minifyOptions: { minifyCss: false } };
const doc = (text: string, attrs = '') => `<mjml><mj-body><mj-section><mj-column><mj-text${attrs}>${text}</mj-text></mj-column></mj-section></mj-body></mjml>`;

describe('MJML thread', () => {
  afterEach(() => stopMjmlThread());

  it('compiles in a worker thread: mjml is never loaded in this one', async () => {
    const [a, b] = await Promise.all([compileInThread(doc('Hello {{name}}'), options), compileInThread(doc('Zweite Ausgabe'), options)]);
    expect(a.html).toContain('Hello {{name}}');
    expect(b.html).toContain('Zweite Ausgabe');
    expect(a.warnings).toEqual([]);
    const cache = createRequire(import.meta.url).cache;
    expect(Object.keys(cache).filter((k) => /node_modules[\\/]mjml(-core)?[\\/]/.test(k))).toEqual([]);
  });

  it('brings back MJML validation errors with their line, tag and message', async () => {
    const err = await compileInThread(doc('x', ' color="not-a-colour"'), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MjmlCompileError);
    const errors = (err as MjmlCompileError).errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ line: 1, tagName: 'mj-text' });
    expect(errors[0]!.message).toContain('not-a-colour');
    // The worker is still there for the next compile.
    expect((await compileInThread(doc('after the error'), options)).html).toContain('after the error');
  });

  it('ends once idle, giving its memory back, and starts again on the next compile', async () => {
    await compileInThread(doc('one'), options);
    expect(mjmlThreadRunning()).toBe(true);
    await until('the idle worker to end', () => !mjmlThreadRunning(), IDLE_MS + 5000);
    expect(mjmlThreadRunning()).toBe(false);
    expect((await compileInThread(doc('two'), options)).html).toContain('two');
  });

  it('keeps standard output for the command: what mjml prints goes to standard error, and an idle worker does not hold the process', () => {
    // In a child process, from dist/ as the CLI runs it. htmlnano's CSS minifier without cssnano
    // prints a notice; a command's standard output must stay only what it prints for scripts.
    const mod = pathToFileURL(join(REPO, 'dist', 'render', 'mjml-thread.js')).href;
    const script = `
      import { compileInThread, mjmlThreadRunning } from ${JSON.stringify(mod)};
      process.on('exit', () => process.stderr.write('worker running at exit: ' + mjmlThreadRunning() + '\\n'));
      const doc = '<mjml><mj-head><mj-style>.a { color: red; }</mj-style></mj-head><mj-body><mj-section><mj-column><mj-text css-class="a">x</mj-text></mj-column></mj-section></mj-body></mjml>';
      await compileInThread(doc, { validationLevel: 'strict', keepComments: false, filePath: ${JSON.stringify(fileURLToPath(import.meta.url))}, minify: true, minifyOptions: {} });
      process.stdout.write('compiled\\n');
    `;
    // --input-type=module also checks that the worker does not take this process's flags.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('compiled\n');
    expect(r.stderr).toContain('cssnano');
    // The process ended because nothing else was left to do, not because the idle timer ended the worker.
    expect(r.stderr).toContain('worker running at exit: true');
  });

  it('a compile asked of a stopped worker fails with a reason, and the next one gets a new worker', async () => {
    const pending = compileInThread(doc('cut short'), options);
    await stopMjmlThread();
    await expect(pending).rejects.toThrow(/MJML thread stopped/);
    expect((await compileInThread(doc('fresh'), options)).html).toContain('fresh');
  });

  it('is released at once when idle, but not while it owes a compile', async () => {
    const owed = compileInThread(doc('still owed'), options);
    await releaseMjmlThread();
    expect(mjmlThreadRunning()).toBe(true);
    expect((await owed).html).toContain('still owed');
    await releaseMjmlThread();
    expect(mjmlThreadRunning()).toBe(false);
    expect((await compileInThread(doc('after release'), options)).html).toContain('after release');
  });
});
