import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A minimal SMTP server on 127.0.0.1 for faults smtp-server cannot script: dropping the
 * connection at a chosen command, before or after the message data, or taking the data and
 * never answering. It speaks just enough ESMTP for nodemailer (no pipelining, no TLS) and
 * records what it accepted.
 */
export interface ScriptedSmtp {
  port: number;
  url: string;
  /** Recipients whose message data was fully received (whatever the reply). */
  dataReceivedFor: string[];
  /** Recipients answered 250 after their data. */
  acceptedFor: string[];
  /** Names given in EHLO/HELO, one per greeting. */
  heloNames: string[];
  /** How many connections said QUIT before closing. */
  quits: number;
  /** Connections open now. */
  openConnections(): number;
  /** Answers every stalled message now (250), as a relay that was only slow would. */
  releaseStalled(): void;
  close(): Promise<void>;
}

/** `stall-after-data`: the data is taken and no reply ever comes (until `releaseStalled`). */
export type Fault = 'drop-at-rcpt' | 'drop-after-data' | 'stall-after-data' | undefined;

export async function startScriptedSmtp(faultFor: (rcpt: string) => Fault): Promise<ScriptedSmtp> {
  const dataReceivedFor: string[] = [];
  const acceptedFor: string[] = [];
  const heloNames: string[] = [];
  const stalled: (() => void)[] = [];
  let quits = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let rcpt = '';
    let waiting = false;
    const reply = (line: string) => {
      if (!socket.destroyed) socket.write(`${line}\r\n`);
    };
    reply('220 scripted ESMTP');
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (waiting) return;
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          dataReceivedFor.push(rcpt);
          if (faultFor(rcpt) === 'drop-after-data') {
            socket.destroy();
            return;
          }
          if (faultFor(rcpt) === 'stall-after-data') {
            // Nothing more is read or answered on this connection until released.
            waiting = true;
            const to = rcpt;
            stalled.push(() => {
              waiting = false;
              acceptedFor.push(to);
              reply('250 2.0.0 queued late');
              onData(Buffer.alloc(0));
            });
            return;
          }
          acceptedFor.push(rcpt);
          reply('250 2.0.0 queued');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const cmd = line.toUpperCase();
        if (cmd.startsWith('EHLO') || cmd.startsWith('HELO')) heloNames.push(line.slice(5).trim());
        if (cmd.startsWith('EHLO')) socket.write('250-scripted\r\n250 8BITMIME\r\n');
        else if (cmd.startsWith('HELO')) reply('250 scripted');
        else if (cmd.startsWith('MAIL FROM')) reply('250 2.1.0 ok');
        else if (cmd.startsWith('RCPT TO')) {
          rcpt = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (faultFor(rcpt) === 'drop-at-rcpt') {
            socket.destroy();
            return;
          }
          reply('250 2.1.5 ok');
        } else if (cmd === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (cmd === 'RSET' || cmd === 'NOOP') reply('250 ok');
        else if (cmd === 'QUIT') {
          quits++;
          reply('221 bye');
          socket.end();
          return;
        } else reply('502 5.5.1 not implemented');
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    dataReceivedFor,
    acceptedFor,
    heloNames,
    get quits() {
      return quits;
    },
    openConnections: () => sockets.size,
    releaseStalled: () => {
      for (const release of stalled.splice(0)) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
