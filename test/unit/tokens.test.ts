import { describe, expect, it } from 'vitest';
import { signToken, verifyToken, type TokenPayload } from '../../src/domain/tokens.js';

const SECRET = 'current-secret-0123456789';
const PREVIOUS = 'previous-secret-0123456789';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const payload: TokenPayload = { p: 'unsubscribe', s: 42, n: 'weekly-brief' };

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('signed tokens', () => {
  it('verifies a token it signed and gives back the payload', () => {
    const token = signToken(payload, SECRET);
    expect(token.split('.')).toHaveLength(2);
    expect(token).not.toContain('weekly-brief');
    expect(verifyToken(token, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: true, payload });
  });

  it('rejects an altered payload', () => {
    const [, mac] = signToken(payload, SECRET).split('.');
    const forged = `${b64({ ...payload, s: 43 })}.${mac}`;
    expect(verifyToken(forged, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects an altered signature', () => {
    const token = signToken(payload, SECRET);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(verifyToken(token.slice(0, -1) + last, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyToken(token.slice(0, -1), [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a token signed with another secret', () => {
    const token = signToken(payload, 'some-other-secret-456789');
    expect(verifyToken(token, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a token made for another purpose', () => {
    const token = signToken({ ...payload, p: 'preferences' }, SECRET);
    expect(verifyToken(token, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'wrong-purpose' });
  });

  it('rejects an expired token and accepts it up to its expiry', () => {
    const e = Math.floor(NOW / 1000);
    const token = signToken({ ...payload, e }, SECRET);
    expect(verifyToken(token, [SECRET], 'unsubscribe', NOW).ok).toBe(true);
    expect(verifyToken(token, [SECRET], 'unsubscribe', NOW + 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects malformed tokens', () => {
    const token = signToken(payload, SECRET);
    for (const bad of ['', 'nodot', `${token}.extra`, '.abc', `${token.split('.')[0]}.`]) {
      expect(verifyToken(bad, [SECRET], 'unsubscribe', NOW), bad).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects a correctly signed body whose fields have the wrong types', () => {
    const signed = signToken({ ...payload, s: '42' } as unknown as TokenPayload, SECRET);
    expect(verifyToken(signed, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('carries what a confirmation is bound to (the sign-up time), under the signature', () => {
    const bound: TokenPayload = { p: 'confirm', s: 42, n: 'weekly-brief', e: Math.floor(NOW / 1000) + 60, w: '2026-03-01T11:59:00.000Z' };
    const token = signToken(bound, SECRET);
    expect(verifyToken(token, [SECRET], 'confirm', NOW)).toEqual({ ok: true, payload: bound });
    const [, mac] = token.split('.');
    expect(verifyToken(`${b64({ ...bound, w: '2026-03-01T11:59:30.000Z' })}.${mac}`, [SECRET], 'confirm', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a correctly signed body whose optional fields have the wrong types, or that is not an object', () => {
    for (const bad of [{ ...payload, w: 5 }, { ...payload, e: 'never' }, null]) {
      const signed = signToken(bad as unknown as TokenPayload, SECRET);
      expect(verifyToken(signed, [SECRET], 'unsubscribe', NOW), JSON.stringify(bad)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('verifies a token signed with the previous secret during a rotation, and signs with the first', () => {
    const old = signToken(payload, PREVIOUS);
    expect(verifyToken(old, [SECRET, PREVIOUS], 'unsubscribe', NOW)).toEqual({ ok: true, payload });
    expect(verifyToken(old, [SECRET], 'unsubscribe', NOW)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyToken(signToken(payload, SECRET), [SECRET, PREVIOUS], 'unsubscribe', NOW).ok).toBe(true);
  });
});
