import { Command, CommanderError } from 'commander';
import { NewsletterError } from '../domain/errors.js';
import { startCommand } from './start.js';
import { sendCommand } from './send.js';
import { renderCommand } from './render.js';
import { reportCommand } from './report.js';
import { retryCommand } from './retry.js';
import { subscribersCommand } from './subscribers.js';
import { workerCommand } from './worker.js';
import { previewCommand } from './preview.js';
import { articlesCommand } from './articles.js';
import { bouncesCommand } from './bounces.js';
import { doctorCommand } from './doctor.js';
import { approveCommand, issueCommand, issuesCommand } from './issues.js';
import { editorsCommand } from './editors.js';

/**
 * Runs the CLI and returns the exit status: 0 done; 1 readers of the issue are failed,
 * deferred or in doubt; 2 the command cannot run (bad config, template, input).
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const program = new Command('newsletter')
    .description('Newsletter digests: articles to MJML emails to SMTP, with consent, locales and a delivery log.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const cmd of [
    startCommand(setExit),
    sendCommand(setExit),
    renderCommand(setExit),
    reportCommand(setExit),
    retryCommand(setExit),
    subscribersCommand(setExit),
    workerCommand(setExit),
    previewCommand(setExit),
    articlesCommand(setExit),
    bouncesCommand(setExit),
    doctorCommand(setExit),
    issuesCommand(setExit),
    approveCommand(setExit),
    issueCommand(setExit),
    editorsCommand(setExit),
  ]) {
    program.addCommand(cmd);
  }
  // Every command, nested ones too, reports usage errors to standard error and returns instead of exiting.
  const configure = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
    c.commands.forEach(configure);
  };
  configure(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors were printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof NewsletterError) {
      process.stderr.write(`newsletter: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`newsletter: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}
