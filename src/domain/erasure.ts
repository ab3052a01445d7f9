import { createHash } from 'node:crypto';

/**
 * What is kept of an address erased on request: a hash, so a later import or sign-up of the
 * same address can be recognised and refused without keeping the address itself.
 */
export function suppressionHash(normalisedEmail: string): string {
  return createHash('sha256').update(`newsletter-suppression:${normalisedEmail}`).digest('hex');
}
