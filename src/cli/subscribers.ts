import { Command } from 'commander';
import { subscribersImportCommand } from './subscribers/import.js';
import { subscribersExportCommand } from './subscribers/export.js';
import { subscribersShowCommand } from './subscribers/show.js';
import { subscribersForgetCommand } from './subscribers/forget.js';

/** `newsletter subscribers …`: what the store holds about people; one file per subcommand. */
export function subscribersCommand(setExit: (code: number) => void): Command {
  return new Command('subscribers')
    .description('Manage the audience: import and export lists, show or erase what is held about a person.')
    .addCommand(subscribersImportCommand(setExit))
    .addCommand(subscribersExportCommand(setExit))
    .addCommand(subscribersShowCommand(setExit))
    .addCommand(subscribersForgetCommand(setExit));
}
