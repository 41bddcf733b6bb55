// Bundles the compiled CLI (dist/cli/main.js) and the Temporal client into one file, dist/cli/main.bundle.js,
// which client commands load through V8's code cache (src/cli/boot/bundle.ts). Run after tsc by `npm run build`.
import { build } from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { BUNDLE_FILE, UNBUNDLED_COMMANDS } = require('../dist/cli/boot/bundle.js');

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: BUNDLE_FILE,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Less source to read and hash on every start; names are kept for --debug's stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  external: [
    // as commands/index.ts imports them
    ...UNBUNDLED_COMMANDS.map((command) => `./${command}/${command}`),
    // Native code, loaded from node_modules as usual.
    'better-sqlite3',
    // Only workers load it (temporal-connection.ts); bundled, it would bring a second @temporalio/common.
    '@temporalio/worker',
    // OpenTelemetry's SDK: loaded only when traces are on (src/telemetry/tracing.ts).
    '../telemetry/tracing-sdk',
  ],
  logLevel: 'warning',
});
