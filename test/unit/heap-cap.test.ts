import { describe, expect, it } from 'vitest';
import { cappedWorkerArgs, WORKER_HEAP_MB } from '../../src/cli/boot/heap-cap';

describe('cappedWorkerArgs', () => {
  const argv = ['/usr/bin/node', '/app/bin/clientsync.js'];
  it('runs a worker without a cap again with one, keeping every argument', () => {
    expect(cappedWorkerArgs([...argv, '--debug', 'worker', '--task-queue', 'q'], ['--enable-source-maps'], {})).toEqual(
      [
        '--enable-source-maps',
        `--max-old-space-size=${WORKER_HEAP_MB}`,
        '/app/bin/clientsync.js',
        '--debug',
        'worker',
        '--task-queue',
        'q',
      ],
    );
  });

  it('leaves other commands, a cap set by flag or NODE_OPTIONS, and the capped child itself alone', () => {
    expect(cappedWorkerArgs([...argv, 'start', '--clients', 'worker'], [], {})).toBeUndefined();
    expect(cappedWorkerArgs([...argv, 'worker'], ['--max-old-space-size=512'], {})).toBeUndefined();
    expect(cappedWorkerArgs([...argv, 'worker'], [], { NODE_OPTIONS: '--max-old-space-size=1024' })).toBeUndefined();
    expect(cappedWorkerArgs([...argv, 'worker'], [], { CLIENTSYNC_HEAP_CAP_PARENT: '42' })).toBeUndefined();
  });
});
