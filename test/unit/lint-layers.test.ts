import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { REPO } from '../helpers/project.js';

/** Lints `code` as if it were the file at `path` (nothing is written), with the project's eslint.config.js. */
async function violations(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(code, { filePath: join(REPO, path) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the lint gate keeps the layers', { timeout: 60_000 }, () => {
  it('refuses domain/ importing a store adapter, or anything of ours outside domain/', async () => {
    expect(await violations('src/domain/planted.ts', "import { openStore } from '../store/open.js';\nexport const x = openStore;\n")).toHaveLength(1);
    expect(await violations('src/domain/planted.ts', "import type { Store } from '../store/store.js';\nexport type X = Store;\n")).toHaveLength(1);
    expect(await violations('src/domain/planted.ts', "import { parseDuration } from './duration.js';\nexport const x = parseDuration;\n")).toEqual([]);
  });

  it('refuses compose/ importing anything but domain/', async () => {
    expect(await violations('src/compose/planted.ts', "import { loadConfig } from '../config/load.js';\nexport const x = loadConfig;\n")).toHaveLength(1);
    expect(await violations('src/compose/planted.ts', "import type { Issue } from '../domain/types.js';\nexport type X = Issue;\n")).toEqual([]);
  });

  it('refuses a pipeline stage importing an entry point, a use case or the composition root', async () => {
    for (const target of ['../cli/send.js', '../http/app.js', '../preview/serve.js', '../inbound/smtp-receiver.js', '../service/send-issue.js', '../app.js']) {
      expect(await violations('src/delivery/planted.ts', `import * as x from '${target}';\nexport { x };\n`), target).toHaveLength(1);
      expect(await violations('src/bounces/planted.ts', `import * as x from '${target}';\nexport { x };\n`), target).toHaveLength(1);
    }
  });

  it('lets only the composition root pick a store or transport adapter; everyone uses the ports', async () => {
    expect(await violations('src/service/planted.ts', "import { openStore } from '../store/open.js';\nexport const x = openStore;\n")).toHaveLength(1);
    expect(await violations('src/cli/planted.ts', "import { createSmtpTransport } from '../transport/smtp/client.js';\nexport const x = createSmtpTransport;\n")).toHaveLength(1);
    expect(await violations('src/service/planted.ts', "import type { Store } from '../store/store.js';\nexport type X = Store;\n")).toEqual([]);
    expect(await violations('src/inbound/planted.ts', "import { openStore } from '../store/open.js';\nexport const x = openStore;\n")).toHaveLength(1);
    expect(await violations('src/app.ts', "import { openStore } from './store/open.js';\nexport const x = openStore;\n")).toEqual([]);
  });
});
