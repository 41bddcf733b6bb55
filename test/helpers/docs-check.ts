import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** The documents a reader meets: the README, docs/ and the benchmarks' page. */
export function docFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  return ['README.md', 'bench/README.md', ...docs.map((f) => `docs/${f}`)];
}

export const readDoc = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Markdown with its fenced code blocks taken out, so an example's text is not read as prose. */
export const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

/** Relative links of `file` (a path from the root) whose target does not exist. */
export function brokenLinks(file: string, text: string): string[] {
  const links = [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return links
    .filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#'))
    .filter((l) => !existsSync(path.resolve(ROOT, path.dirname(file), l.split('#')[0]!)))
    .map((l) => `${file}: ${l}`);
}

/** Lines that speak of how the product was made rather than of the product: rounds of work, issue numbers. */
export function historyTalk(text: string): string[] {
  const pattern =
    /\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|this|previous|earlier|last) (session|round)\b|\bround of work\b|\bissue #?\d+\b/i;
  return prose(text)
    .split('\n')
    .filter((line) => pattern.test(line));
}

/** The fenced blocks marked `sh tested`: examples a test runs as written. */
export function testedExamples(text: string): string[] {
  return [...text.matchAll(/^```sh tested\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());
}
