// The benchmark's SMTP sink: a real smtp-server on 127.0.0.1 (port 0) in its own process.
// It counts messages and bytes and throws the data away (nothing is kept in memory).
// Started by run.mjs with fork(): it sends { port } over IPC once listening, answers
// { cmd: 'stats' } with its counters and CPU time, and exits on { cmd: 'stop' } or when the
// parent goes away (IPC disconnect), so it can never outlive the benchmark.
import { SMTPServer } from 'smtp-server';

let messages = 0;
let bytes = 0;
let rejected = 0;
let connections = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  // Generous for 5 pooled connections plus the raw client's; bounded all the same.
  maxClients: 64,
  onConnect(_session, callback) {
    connections++;
    callback();
  },
  onData(stream, _session, callback) {
    let n = 0;
    stream.on('data', (chunk) => {
      n += chunk.length;
    });
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        rejected++;
        const err = new Error('message too big');
        err.responseCode = 552;
        callback(err);
        return;
      }
      messages++;
      bytes += n;
      callback(null, 'queued');
    });
  },
});
server.on('error', () => {});

function stop(code = 0) {
  server.close(() => process.exit(code));
  // The server waits for open connections; do not wait forever.
  setTimeout(() => process.exit(code), 2000).unref();
}

process.on('message', (m) => {
  if (!m || typeof m !== 'object') return;
  if (m.cmd === 'stats') {
    const cpu = process.cpuUsage();
    process.send({ id: m.id, messages, bytes, rejected, connections, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage.rss() / 1048576 });
  } else if (m.cmd === 'stop') {
    stop(0);
  }
});
process.on('disconnect', () => stop(0));
process.on('SIGTERM', () => stop(0));

server.listen(0, '127.0.0.1', () => {
  process.send({ ready: true, port: server.server.address().port });
});
