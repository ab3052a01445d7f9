import { describe, expect, it } from 'vitest';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { fastTransform, installed, passesUnchanged, writesTo, type TransformFn } from '../../src/transport/smtp/fast-data-stream.js';
import { constantParts } from '../../src/transport/transport.js';

/** What a DATA stream writes for these chunks, and its byte counts. */
async function through(chunks: Buffer[], fast: boolean): Promise<{ out: Buffer; inBytes: number; outBytes: number }> {
  const stream = new DataStream() as DataStream & { _transform: TransformFn; inByteCount: number; outByteCount: number };
  if (fast) stream._transform = fastTransform(stream._transform);
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  for (const c of chunks) stream.write(c);
  stream.end();
  await ended;
  return { out: Buffer.concat(out), inBytes: stream.inByteCount, outBytes: stream.outByteCount };
}

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fast DATA stream', () => {
  it('is installed on the nodemailer version locked here', () => {
    expect(installed).toBe(true);
  });

  it('writes exactly what nodemailer writes, byte counts included, on random CR, LF, dot and text in random chunks', async () => {
    const rnd = random(20261129);
    const alphabet = [0x0d, 0x0a, 0x2e, 0x61, 0x0d, 0x0a]; // line ends often, as in mail
    for (let run = 0; run < 400; run++) {
      const len = Math.floor(rnd() * 200);
      const bytes = Buffer.from(Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]!));
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length;) {
        const n = 1 + Math.floor(rnd() * 40);
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      const slow = await through(chunks, false);
      const fast = await through(chunks, true);
      expect(fast, `run ${run}: ${JSON.stringify(bytes.toString('latin1'))}`).toEqual(slow);
    }
  });

  it('passes a well-formed message on untouched and leaves every other case to nodemailer', async () => {
    const message = Buffer.from('Subject: x\r\n\r\nline one\r\n..stuffed already\r\nend\r\n', 'latin1');
    expect(passesUnchanged(message, false)).toBe(false); // a dot after a line feed must be stuffed
    const clean = Buffer.from('Subject: x\r\n\r\nline one\r\nend\r\n', 'latin1');
    expect(passesUnchanged(clean, false)).toBe(true);
    expect(passesUnchanged(clean, 0x0d)).toBe(false); // a CR before the chunk, then no LF
    expect(passesUnchanged(Buffer.from('.x'), false)).toBe(false); // a dot first in the message
    expect(passesUnchanged(Buffer.from('a\nb'), false)).toBe(false); // bare LF
    expect(passesUnchanged(Buffer.from('a\rb'), false)).toBe(false); // bare CR
    expect(passesUnchanged(Buffer.from('ab\r'), false)).toBe(true); // settled by the next chunk
    expect((await through([message], true)).out.toString('latin1')).toBe('Subject: x\r\n\r\nline one\r\n...stuffed already\r\nend\r\n.\r\n');
  });

  it('looks inside a constant part once, and still checks its first byte against the byte before it', () => {
    const part = Buffer.from('line one\r\nline two\r\n', 'latin1');
    constantParts.add(part);
    expect(passesUnchanged(part, false)).toBe(true);
    // Its inside is not looked at again: the contract is that a constant part's bytes never change.
    part.write('\n.', 5, 'latin1');
    expect(passesUnchanged(part, false)).toBe(true);
    expect(passesUnchanged(Buffer.from(part), false)).toBe(false); // the same bytes, not constant
    // The boundary depends on the chunk before, so it is checked every time.
    expect(passesUnchanged(part, 0x0d)).toBe(false);
    const dotFirst = Buffer.from('.starts with a dot\r\n', 'latin1');
    constantParts.add(dotFirst);
    expect(passesUnchanged(dotFirst, 0x0a)).toBe(false);
    expect(passesUnchanged(dotFirst, 0x41)).toBe(true);
  });

  it('holds the socket corked from the first chunk passed on in a tick to the next tick, so they leave in one write', async () => {
    const calls: string[] = [];
    const socket = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    const stream = new DataStream() as DataStream & { _transform: TransformFn };
    stream._transform = fastTransform(stream._transform);
    writesTo(stream, socket);
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => {
      calls.push('data');
      out.push(c);
    });
    for (const part of ['Subject: x\r\n', '\r\nbody', ' text\r\n']) stream.write(Buffer.from(part));
    await new Promise((resolve) => setImmediate(resolve));
    stream.write(Buffer.from('more\r\n'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'data', 'data', 'data', 'uncork', 'cork', 'data', 'uncork']);
    expect(Buffer.concat(out).toString()).toBe('Subject: x\r\n\r\nbody text\r\nmore\r\n');
  });
});
