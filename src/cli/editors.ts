import { Command } from 'commander';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import { hashPassword } from '../domain/password-hash.js';

/** A password from standard input: typed without echo on a terminal, else the first line piped in. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) {
      text += String(chunk);
      if (text.length > 4096) break;
    }
    return (text.split(/\r?\n/)[0] ?? '').slice(0, 1024);
  }
  process.stderr.write('Password (not shown): ');
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((ok, fail) => {
    let typed = '';
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) fail(err);
      else ok(typed);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new NewsletterError(ErrorCodes.USAGE, 'cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (typed.length < 1024) typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** `newsletter editors hash`: the passwordHash line for an editor in preview.editors. */
export function editorsCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('editors').description('Editor accounts of the preview (config preview.editors).');
  cmd.addCommand(
    new Command('hash')
      .description(
        'Read a password from standard input (typed without echo, or piped: `printf %s "$PW" | newsletter editors hash`) and print its passwordHash for preview.editors (scrypt).\n' +
          'Not an argument, so it stays out of shell history. Exits 2 for a password under 12 characters.',
      )
      .action(async () => {
        const password = await readPassword();
        if (password.length < 12) throw new NewsletterError(ErrorCodes.USAGE, 'the password must be at least 12 characters');
        process.stdout.write(`${await hashPassword(password)}\n`);
        setExit(0);
      }),
  );
  return cmd;
}
