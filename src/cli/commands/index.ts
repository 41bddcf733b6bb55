// The commands: each one's definition (what people type) from its own folder, in the order help lists them,
// and what each does, loaded on use.
import type { Command } from 'commander';
import type { CliIO } from '../io';
import { defineCancel } from './cancel';
import { defineConsole } from './console';
import { defineDemo } from './demo';
import { defineFailures } from './failures';
import { defineFakeApi } from './fake-api';
import { defineList } from './list';
import { definePause, defineResume } from './pause';
import { defineRefreshToken } from './refresh-token';
import { defineResults } from './results';
import { defineRetryFailed } from './retry-failed';
import { defineServer } from './server';
import { defineSet } from './set';
import { defineStart } from './start';
import { defineStatus } from './status';
import { defineWorker } from './worker';

/** The command functions, injectable so argv parsing can be table-tested without running anything. */
export interface Commands {
  server: typeof import('./server/server').server;
  fakeApi: typeof import('./fake-api/fake-api').fakeApi;
  worker: typeof import('./worker/worker').worker;
  set: typeof import('./set/set').set;
  start: typeof import('./start/start').start;
  refreshToken: typeof import('./refresh-token/refresh-token').refreshToken;
  status: typeof import('./status/status').status;
  list: typeof import('./list/list').list;
  failures: typeof import('./failures/failures').failures;
  results: typeof import('./results/results').results;
  retryFailed: typeof import('./retry-failed/retry-failed').retryFailed;
  pause: typeof import('./pause/pause').pause;
  resume: typeof import('./pause/pause').resume;
  cancel: typeof import('./cancel/cancel').cancel;
  demo: typeof import('./demo/demo').demo;
  console: typeof import('./console/console').consoleCommand;
}

/** Loads commands on use, so `clientsync --help` does not pay for the Temporal SDK. */
export const realCommands: Commands = {
  server: async (...a) => (await import('./server/server')).server(...a),
  fakeApi: async (...a) => (await import('./fake-api/fake-api')).fakeApi(...a),
  worker: async (...a) => (await import('./worker/worker')).worker(...a),
  start: async (...a) => (await import('./start/start')).start(...a),
  refreshToken: async (...a) => (await import('./refresh-token/refresh-token')).refreshToken(...a),
  status: async (...a) => (await import('./status/status')).status(...a),
  list: async (...a) => (await import('./list/list')).list(...a),
  failures: async (...a) => (await import('./failures/failures')).failures(...a),
  results: async (...a) => (await import('./results/results')).results(...a),
  retryFailed: async (...a) => (await import('./retry-failed/retry-failed')).retryFailed(...a),
  pause: async (...a) => (await import('./pause/pause')).pause(...a),
  resume: async (...a) => (await import('./pause/pause')).resume(...a),
  cancel: async (...a) => (await import('./cancel/cancel')).cancel(...a),
  set: async (...a) => (await import('./set/set')).set(...a),
  demo: async (...a) => (await import('./demo/demo')).demo(...a),
  console: async (...a) => (await import('./console/console')).consoleCommand(...a),
};

/** Every command's definition, in help's order. */
export const DEFINITIONS: ReadonlyArray<(program: Command, io: CliIO, commands: Commands) => void> = [
  defineServer,
  defineFakeApi,
  defineWorker,
  defineStart,
  defineRefreshToken,
  defineSet,
  defineStatus,
  defineList,
  defineFailures,
  defineResults,
  defineRetryFailed,
  definePause,
  defineResume,
  defineCancel,
  defineConsole,
  defineDemo,
];
