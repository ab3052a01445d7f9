import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at this place may be, wrappers (optional, default, …) unwrapped. */
function objectsOf(schema: z.ZodType): Def[] {
  const d = defOf(schema);
  if (d.type === 'object') return [d];
  if (d.innerType) return objectsOf(d.innerType);
  if (d.type === 'pipe' && d.in) return objectsOf(d.in);
  if (d.type === 'union' && d.options) return d.options.flatMap(objectsOf);
  return [];
}

function step(schema: z.ZodType, key: PropertyKey): z.ZodType[] {
  const d = defOf(schema);
  if (d.innerType) return step(d.innerType, key);
  if (d.type === 'pipe' && d.in) return step(d.in, key);
  if (d.type === 'union' && d.options) return d.options.flatMap((o) => step(o, key));
  if (d.type === 'array' && d.element && typeof key === 'number') return [d.element];
  if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) return [d.shape[key]!];
  return [];
}

/** The keys the schema knows at `path` (e.g. ['delivery'] → batchSize, leaseSeconds, …). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: z.ZodType[] = [schema];
  for (const key of path) at = at.flatMap((s) => step(s, key));
  return [...new Set(at.flatMap(objectsOf).flatMap((d) => Object.keys(d.shape ?? {})))];
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known key closest to a misspelt one, if it is close enough to be a likely typo. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
