import { Command } from 'commander';
import { forgetPerson } from '../../service/audience-admin.js';
import { openApp, withConfig, type CommonOptions } from '../options.js';

/** `newsletter subscribers forget` */
export function subscribersForgetCommand(setExit: (code: number) => void): Command {
  const cmd = new Command('forget')
    .description(
      'Erase a person (GDPR): their profile, consent history and subscriptions are deleted; only a hash of the address is kept, so no later import or sign-up can add it again. Delivery counts stay, without personal data.',
    )
    .argument('<email>', 'the address');
  withConfig(cmd);
  return cmd.action(async (email: string, opts: CommonOptions) => {
    const app = await openApp(opts);
    try {
      const { address, found } = await forgetPerson(app, email);
      process.stderr.write(found ? `${address}: erased; a hash is kept so the address cannot be imported again\n` : `${address}: not in the store; its hash is now kept so it cannot be imported\n`);
      setExit(0);
    } finally {
      await app.close();
    }
  });
}
