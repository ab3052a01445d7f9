import { parse as parseYaml } from 'yaml';

export interface SplitDocument {
  data: Record<string, unknown>;
  body: string;
  /** 1-based line of the body's first line in the file, for messages. */
  bodyLine: number;
}

/**
 * Splits `---\n<yaml>\n---\n<body>`. The YAML is parsed as data, never evaluated (unlike
 * gray-matter's `---js`). A file with no front matter gives empty data. Throws with a message
 * on YAML that does not parse or is not a mapping.
 */
export function splitFrontMatter(text: string): SplitDocument {
  const src = text.replace(/^\uFEFF/, '');
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(src);
  if (!m) {
    if (/^---[ \t]*\r?\n/.test(src)) throw new Error('front matter starts with "---" but has no closing "---" line');
    return { data: {}, body: src, bodyLine: 1 };
  }
  let data: unknown;
  try {
    data = parseYaml(m[1]!, { schema: 'core' });
  } catch (e) {
    throw new Error(`front matter is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error('front matter must be a YAML mapping of keys to values');
  return {
    data: data as Record<string, unknown>,
    body: src.slice(m[0].length),
    bodyLine: m[0].split('\n').length,
  };
}
