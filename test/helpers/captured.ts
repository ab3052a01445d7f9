import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';

/** The address each message the capture transport wrote under `<project>/data/mail` went to (its To header, parsed), sorted. */
export async function capturedRecipients(projectDir: string): Promise<string[]> {
  const mail = join(projectDir, 'data', 'mail');
  const files = readdirSync(mail, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.eml'));
  const to = await Promise.all(files.map(async (f) => ((await simpleParser(readFileSync(join(mail, f)))).to as AddressObject).value[0]!.address!.toLowerCase()));
  return to.sort();
}
