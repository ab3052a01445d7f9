import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { HtmlValidate, type ConfigData } from 'html-validate';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core in the page: the violations of impact serious or critical, one line each. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () =>
    (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(),
  );
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** html-validate's recommended rules; `allow` switches off the rules the caller names, each with its reason. */
export function htmlErrors(html: string, allow: Record<string, string> = {}): string[] {
  const config: ConfigData = { extends: ['html-validate:recommended'], rules: Object.fromEntries(Object.keys(allow).map((rule) => [rule, 'off'])) };
  const report = new HtmlValidate(config).validateStringSync(html);
  return report.results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId} at ${m.line}:${m.column}: ${m.message}`));
}

/**
 * Every visible text's computed direction and contrast against the background it is drawn on
 * (the first ancestor with an opaque background colour), as WCAG 2 computes it. Large text
 * (24 px, or 18.66 px bold) needs 3:1, the rest 4.5:1.
 */
export async function textReport(page: Page): Promise<{ text: string; direction: string; ratio: number; needed: number; fontSize: number; lang: string }[]> {
  return page.evaluate(() => {
    const rgb = (s: string) => {
      const m = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/.exec(s);
      return m ? { r: +m[1]!, g: +m[2]!, b: +m[3]!, a: m[4] === undefined ? 1 : +m[4] } : { r: 0, g: 0, b: 0, a: 0 };
    };
    const lum = (c: { r: number; g: number; b: number }) => {
      const ch = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
    };
    const background = (el: Element | null) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.a > 0.5) return c;
      }
      // The canvas: white, or the dark canvas when the page asks for color-scheme dark and gets it.
      return rgb(getComputedStyle(document.documentElement).backgroundColor).a > 0.5
        ? rgb(getComputedStyle(document.documentElement).backgroundColor)
        : matchMedia('(prefers-color-scheme: dark)').matches && getComputedStyle(document.documentElement).colorScheme.includes('dark')
          ? { r: 18, g: 18, b: 18, a: 1 }
          : { r: 255, g: 255, b: 255, a: 1 };
    };
    const out: { text: string; direction: string; ratio: number; needed: number; fontSize: number; lang: string }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim() ?? '';
      const el = n.parentElement;
      if (!text || !el) continue;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0 || box.height === 0 || Number(style.opacity) === 0) continue;
      const fg = rgb(style.color);
      const bg = background(el);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number];
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      out.push({
        text: text.slice(0, 40),
        direction: style.direction,
        ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
        needed: large ? 3 : 4.5,
        fontSize: size,
        lang: el.closest('[lang]')?.getAttribute('lang') ?? '',
      });
    }
    return out;
  });
}
