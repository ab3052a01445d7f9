import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface TestProject {
  dir: string;
  configFile: string;
  cleanup(): void;
}

/**
 * A throw-away copy of the sample project (config, templates, articles, subscribers) in its own
 * temp folder, so each test owns its store, captured mail and files.
 */
export function makeProject(options: { config?: (yaml: string) => string; subscribers?: string; articles?: Record<string, string>; keepSampleArticles?: boolean } = {}): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'nl-project-'));
  cpSync(join(REPO, 'templates'), join(dir, 'templates'), { recursive: true });
  cpSync(join(REPO, 'subscribers'), join(dir, 'subscribers'), { recursive: true });
  if (options.articles && options.keepSampleArticles === false) {
    cpSync(join(REPO, 'articles'), join(dir, 'articles'), { recursive: true, filter: (src) => !/\.(md|txt)$/.test(src) });
  } else {
    cpSync(join(REPO, 'articles'), join(dir, 'articles'), { recursive: true });
  }
  for (const [name, text] of Object.entries(options.articles ?? {})) writeFileSync(join(dir, 'articles', name), text);
  if (options.subscribers !== undefined) writeFileSync(join(dir, 'subscribers', 'weekly-brief.csv'), options.subscribers);
  let yaml = readFileSync(join(REPO, 'newsletter.config.yaml'), 'utf8');
  if (options.config) yaml = options.config(yaml);
  const configFile = join(dir, 'newsletter.config.yaml');
  writeFileSync(configFile, yaml);
  return { dir, configFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Test environment: https public URL and a fixed secret, so links can be checked. */
export const TEST_ENV = {
  PUBLIC_URL: 'https://news.example.test',
  NEWSLETTER_SECRET: 'test-secret-0123456789abcdef',
  PORT: '0',
};

/** The sample list's readers who consented (and so must get mail). */
export const CONSENTING = ['ada@example.com', 'camille@example.fr', 'grace@example.com', 'jean.dupont@example.fr', 'layla@example.net'];
