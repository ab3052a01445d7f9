import type { OutgoingMessage, SendResult, Transport } from '../../src/transport/transport.js';

/** A transport that accepts every message at once and keeps it in `sent`, for tests that read what went out. */
export function recordingTransport(): Transport & { sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  return {
    name: 'recording',
    sent,
    async send(m): Promise<SendResult> {
      sent.push(m);
      return { messageId: m.messageId, response: '250 ok' };
    },
    async close() {},
  };
}
