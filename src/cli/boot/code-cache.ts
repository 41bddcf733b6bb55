import { createHash } from 'node:crypto';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

// A client command spends most of its start compiling the Temporal client's JavaScript. Node 22 keeps
// compiled code between runs (module.enableCompileCache); Node 20 does not, so the bundled CLI is loaded
// through V8's code cache here. The cache is taken when a run ends, so it holds every function that run
// compiled, not only the eagerly compiled top level that a require hook (v8-compile-cache) can keep.

/** How a load met the cache: `used` it, found none (`new`), or found one V8 `rejected` (another V8, other flags). */
export type CacheUse = 'used' | 'new' | 'rejected';

/** Runs a CommonJS file as `require` would, with its compiled code kept in `cacheDir` for the next run. */
export function requireWithCodeCache(file: string, cacheDir: string): { exports: unknown; cache: CacheUse } {
  const source = fs.readFileSync(file, 'utf8');
  const { dir, cacheFile } = cachePlace(file, cacheDir);
  const cachedData = readIfExists(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const cache: CacheUse = !cachedData ? 'new' : script.cachedDataRejected ? 'rejected' : 'used';
  if (cache !== 'used') process.once('exit', () => writeCache(script, dir, cacheFile));
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, cache };
}

/**
 * One folder per file, one cache in it. V8 checks a cache against the source's length only, so the name
 * carries the file's size and modification time: a rebuilt file never meets the code of the old one.
 */
function cachePlace(file: string, cacheDir: string): { dir: string; cacheFile: string } {
  const { size, mtimeMs } = fs.statSync(file);
  const dir = path.join(cacheDir, createHash('sha256').update(file).digest('hex').slice(0, 16));
  return { dir, cacheFile: path.join(dir, `${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}.bin`) };
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Replaces the folder's cache; concurrent runs each write whole files, and the last rename wins. */
function writeCache(script: vm.Script, dir: string, cacheFile: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const old of fs.readdirSync(dir))
      if (old.endsWith('.bin') && old !== path.basename(cacheFile)) fs.rmSync(path.join(dir, old), { force: true });
    const partial = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(partial, script.createCachedData());
    fs.renameSync(partial, cacheFile);
  } catch {
    // A cache that cannot be written (a read-only home) costs the next run its speed, nothing else.
  }
}
