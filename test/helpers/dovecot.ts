import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { until } from './wait.js';

const DOVECOT = '/usr/sbin/dovecot';

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  /** The temp folder: config, sockets, log and mail. */
  dir: string;
  /** Dovecot's log so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** What Debian's dovecot-core gives a root-started Dovecot; anyone else runs it all as themselves. */
function accounts(): { internal: string; login: string; uid: number; gid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { internal: me.username, login: me.username, uid: me.uid, gid: me.gid };
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === 'dovecot');
  if (!entry) throw new Error('the dovecot user is missing: apt-get install dovecot-imapd (.ci/run installs it)');
  // Dovecot refuses mail access as root: the mail processes run as the dovecot user.
  return { internal: 'dovecot', login: 'dovenull', uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** A port that was free a moment ago; Dovecot binds it itself, so a rare race is retried. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (d) => done(d.toString().startsWith('* OK')));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

function config(dir: string, port: number, a: ReturnType<typeof accounts>, withoutMove: boolean): string {
  return `# A throw-away Dovecot 2.3 for one test file: plain IMAP on loopback, one passwd-file user.
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
log_timestamp = "%H:%M:%S.%{usecs} "
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
# A refused login answers at once (default 2 s): the wrong-password test need not wait.
auth_failure_delay = 0
default_internal_user = ${a.internal}
default_login_user = ${a.login}
first_valid_uid = ${a.uid}
first_valid_gid = ${a.gid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${a.uid} gid=${a.gid} home=${dir}/mail/%u
}
mail_location = maildir:${dir}/mail/%u/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
${
  // Dovecot has MOVE; advertising the rest without it makes a client take the COPY fallback.
  withoutMove ? 'imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS CHILDREN UNSELECT\n' : ''
}`;
}

/**
 * Starts Dovecot (Debian 12's dovecot-imapd) in the foreground from its own config in a temp
 * folder, on 127.0.0.1 and a free port, with one user. Missing Dovecot fails the test: a skipped
 * way in would look tested.
 */
export async function startDovecot(options: { withoutMove?: boolean } = {}): Promise<Dovecot> {
  if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is missing: apt-get install dovecot-imapd (.ci/run installs it)`);
  const a = accounts();
  const dir = mkdtempSync(join(tmpdir(), 'nl-dovecot-'));
  // The imap and login processes run as other users: they must reach the sockets and the mail.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'mail'));
  chownSync(join(dir, 'mail'), a.uid, a.gid);
  const user = 'bounces';
  const password = 'imap-test-password-7d1f';
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const log = () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'dovecot.conf'), config(dir, port, a, options.withoutMove ?? false));
    // Dovecot is a peer, not code under test: it keeps the real clock when npm test's second pass
    // runs under libfaketime (its timeouts and auth penalties misbehaved there under load).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME')));
    const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    try {
      await until('Dovecot to greet', async () => {
        if (gone) throw new Error(`dovecot exited: ${stderr.trim()} ${log().trim()}`);
        return greets(port);
      });
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      // Another process took the port between our probe and Dovecot's bind: try another.
      if (attempt < 3 && /in use/i.test(String(e))) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      dir,
      log,
      async stop() {
        // The master stops its login, auth and imap processes on SIGTERM.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
