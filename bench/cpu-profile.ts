import { readFile } from 'node:fs/promises';

// Reads V8 .cpuprofile files (node --cpu-prof) and says where the samples fell: the functions with the
// most self time, and the same by package (node_modules/<pkg>, node's own code, the project's dist/).

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface SelfTime {
  name: string;
  share: number;
}

function where(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/')) return 'clientsync';
  return url === '' ? 'V8 / native' : url;
}

/** Shares of all samples by function (`by: 'function'`) or by package, largest first. */
export async function selfTimes(files: string[], by: 'function' | 'package', top = 12): Promise<SelfTime[]> {
  const hits = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: ProfileNode[] };
    for (const node of profile.nodes) {
      const n = node.hitCount ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      const key =
        by === 'package'
          ? where(url)
          : `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
      hits.set(key, (hits.get(key) ?? 0) + n);
      total += n;
    }
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, share: n / total }));
}

// tsx bench/cpu-profile.ts DIR/*.cpuprofile
if (require.main === module) {
  void (async () => {
    const files = process.argv.slice(2);
    for (const by of ['package', 'function'] as const) {
      console.log(`-- by ${by}`);
      for (const t of await selfTimes(files, by, by === 'package' ? 12 : 25))
        console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name}`);
    }
  })();
}
