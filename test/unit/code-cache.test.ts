import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built-dist';

const CODE_CACHE = path.resolve(__dirname, '../../dist/cli/boot/code-cache.js');

beforeAll(ensureBuilt, 180_000);

/** Loads `file` in a fresh node, as the installed CLI loads its bundle; the cache is written when that node exits. */
function load(file: string, cacheDir: string): { cache: string; answer: unknown } {
  const script = `const r = require(${JSON.stringify(CODE_CACHE)}).requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheDir)});
process.stdout.write(JSON.stringify({ cache: r.cache, answer: r.exports.answer() }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
    cache: string;
    answer: unknown;
  };
}

const cacheFiles = (cacheDir: string) =>
  readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.bin'));

describe('requireWithCodeCache', () => {
  it('runs a CommonJS file with its own require, keeps its compiled code, and uses it on the next run', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'code-cache-'));
    const file = path.join(dir, 'mod.js');
    writeFileSync(file, `const { join } = require('node:path'); exports.answer = () => join('a', String(40 + 2));`);
    const cacheDir = path.join(dir, 'cache');
    expect(load(file, cacheDir)).toEqual({ cache: 'new', answer: 'a/42' });
    expect(cacheFiles(cacheDir)).toHaveLength(1);
    expect(load(file, cacheDir)).toEqual({ cache: 'used', answer: 'a/42' });
  });

  it('never runs a rebuilt file with the old code, even at the same length, and keeps one cache per file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'code-cache-'));
    const file = path.join(dir, 'mod.js');
    const cacheDir = path.join(dir, 'cache');
    writeFileSync(file, `exports.answer = () => 'old';`);
    load(file, cacheDir);
    const [first] = cacheFiles(cacheDir);
    writeFileSync(file, `exports.answer = () => 'new';`); // V8 alone would take the old cache: same length
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(load(file, cacheDir)).toEqual({ cache: 'new', answer: 'new' });
    expect(load(file, cacheDir)).toEqual({ cache: 'used', answer: 'new' });
    const files = cacheFiles(cacheDir);
    expect(files).toHaveLength(1);
    expect(files).not.toContain(first);
  });
});
