import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import type { ConsoleEnv } from './console-env';

// The console's static files: its own script and style, and htmx and uPlot from their packages, served from
// this origin (the Content-Security-Policy allows no other).

const OWN = path.resolve(__dirname, '..', '..', 'assets', 'console');

const FILES: Record<string, { file: string; type: string }> = {
  'console.js': { file: path.join(OWN, 'console.js'), type: 'text/javascript' },
  'console.css': { file: path.join(OWN, 'console.css'), type: 'text/css' },
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  'uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};

export function assetRoutes(): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const cache = new Map<string, Promise<Buffer>>();
  app.get('/assets/:name', async (c) => {
    const asset = FILES[c.req.param('name')];
    if (!asset) return c.notFound();
    let body = cache.get(asset.file);
    if (!body) cache.set(asset.file, (body = readFile(asset.file)));
    return c.body(new Uint8Array(await body), 200, {
      'content-type': `${asset.type}; charset=utf-8`,
      'cache-control': 'public, max-age=3600',
    });
  });
  return app;
}
