import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A webhook endpoint on 127.0.0.1 that keeps what it is sent. `answer` says what to reply to each
 * request: a status, or 'hang' (never answers, as a stuck receiver).
 */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: ReceivedHook[];
  answer: (req: ReceivedHook) => number | 'hang';
  setAnswer(fn: (req: ReceivedHook) => number | 'hang'): void;
  close(): Promise<void>;
}> {
  const state = { answer: ((): number | 'hang' => 204) as (req: ReceivedHook) => number | 'hang' };
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(hook);
      const a = state.answer(hook);
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' }).end(a >= 300 ? 'nope' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/newsletter`,
    received,
    get answer() {
      return state.answer;
    },
    setAnswer: (fn) => void (state.answer = fn),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
