// Bundles the compiled workflow code (dist/workflows) once, at build time, into dist/workflows.bundle.js: the
// installed worker then starts without webpack (src/worker/deployment.ts). Run after tsc by `npm run build`.
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { bundleNow, PREBUILT_BUNDLE } = require('../dist/worker/deployment.js');
const { workflowsPath } = require('../dist/worker/create-worker.js');

await writeFile(PREBUILT_BUNDLE, await bundleNow(workflowsPath()));
