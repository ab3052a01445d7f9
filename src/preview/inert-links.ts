import { randomBytes } from 'node:crypto';
import type { Subscriber } from '../domain/types.js';
import { readerValues } from '../audience/reader-links.js';

/**
 * Signs the links of previews and test sends: random per process, never written anywhere and
 * never one of the service's secrets, so the public routes refuse every link made with it.
 */
const THROWAWAY_SECRET = randomBytes(32).toString('hex');

/** Added to each dummy link, so whoever reads a test message's link sees what it is. */
export const TEST_LINK_MARKER = 'preview-test';

/**
 * A reader's values for a preview or a test send: their name, address and list attributes, but
 * unsubscribe and preference links (the List-Unsubscribe header's too) that do nothing. A test
 * goes to whatever address the editor types; with the reader's real links, whoever got it could
 * unsubscribe the reader or change their preferences, with one click from a mail client.
 * The links keep their real shape and length (for what the preview shows), signed for no
 * subscriber (id 0) with a secret that no route knows, and marked `?preview-test`.
 */
export function inertReaderValues(publicUrl: string, subscriber: Pick<Subscriber, 'name' | 'email' | 'attributes'>, newsletterId: string): ReturnType<typeof readerValues> {
  const values = readerValues(publicUrl, THROWAWAY_SECRET, { ...subscriber, id: 0 }, newsletterId);
  return {
    ...values,
    unsubscribeUrl: `${values.unsubscribeUrl}?${TEST_LINK_MARKER}`,
    preferencesUrl: `${values.preferencesUrl}?${TEST_LINK_MARKER}`,
  };
}
