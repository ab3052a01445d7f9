import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, NewsletterError } from '../domain/errors.js';
import type { Catalog } from './messages.js';

/** The files of one template: a layout, its partials and the shared locale catalogues. */
export interface TemplateFiles {
  name: string;
  layout: { file: string; source: string };
  partials: { name: string; file: string; source: string }[];
  catalogs: Record<string, Catalog>;
  localeFile: (locale: string) => string;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, `cannot read template file: ${(e as Error).message}`, { place: file, cause: e });
  }
}

export function readTemplateFiles(templatesDir: string, name: string): TemplateFiles {
  const dir = join(templatesDir, name);
  const layoutFile = join(dir, 'layout.mjml.hbs');
  const partialsDir = join(dir, 'partials');
  const partials = existsSync(partialsDir)
    ? readdirSync(partialsDir)
        .filter((f) => f.endsWith('.hbs'))
        .sort()
        .map((f) => ({ name: basename(f, '.hbs'), file: join(partialsDir, f), source: read(join(partialsDir, f)) }))
    : [];
  const { catalogs, localeFile } = readLocaleCatalogs(templatesDir);
  return { name, layout: { file: layoutFile, source: read(layoutFile) }, partials, catalogs, localeFile };
}

/** The locale catalogues of a templates folder: `locales/<locale>.json`, flat keys to ICU messages. */
export function readLocaleCatalogs(templatesDir: string): { catalogs: Record<string, Catalog>; localeFile: (locale: string) => string } {
  const localesDir = join(templatesDir, 'locales');
  const localeFile = (locale: string) => join(localesDir, `${locale}.json`);
  const catalogs: Record<string, Catalog> = {};
  if (existsSync(localesDir)) {
    for (const f of readdirSync(localesDir).filter((x) => x.endsWith('.json'))) {
      const file = join(localesDir, f);
      let data: unknown;
      try {
        data = JSON.parse(read(file));
      } catch (e) {
        throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, `not valid JSON: ${(e as Error).message}`, { place: file, cause: e });
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data) || Object.values(data).some((v) => typeof v !== 'string')) {
        throw new NewsletterError(ErrorCodes.TEMPLATE_INVALID, 'must be an object of "key": "ICU message" strings', { place: file });
      }
      catalogs[basename(f, '.json')] = data as Catalog;
    }
  }
  return { catalogs, localeFile };
}

/** The locales shipped with the service (this package's templates/locales). */
const BUILT_IN = fileURLToPath(new URL('../../templates', import.meta.url));

/**
 * The operator's locale files over the service's own, for the service's pages (public and the
 * editors'): a key an older copy of templates/ lacks comes from the service's files, and English
 * lies under every language, so a page never fails for a missing string. Also each side alone.
 * Without `templatesDir`, the service's own files alone.
 */
export function localeCatalogsWithBuiltIn(templatesDir: string | undefined): {
  catalogs: Record<string, Catalog>;
  builtIn: Record<string, Catalog>;
  own: Record<string, Catalog>;
  localeFile: (locale: string) => string;
} {
  const builtIn = readLocaleCatalogs(BUILT_IN).catalogs;
  const own = templatesDir === undefined ? { catalogs: {} as Record<string, Catalog>, localeFile: (l: string) => join(BUILT_IN, 'locales', `${l}.json`) } : readLocaleCatalogs(templatesDir);
  const catalogs: Record<string, Catalog> = {};
  for (const locale of new Set([...Object.keys(builtIn), ...Object.keys(own.catalogs)])) catalogs[locale] = { ...builtIn.en, ...builtIn[locale], ...own.catalogs[locale] };
  return { catalogs, builtIn, own: own.catalogs, localeFile: own.localeFile };
}
