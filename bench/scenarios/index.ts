// One file per benchmark scenario; run.ts picks them by name.
export { machine, type Row } from './common';
export { cluster } from './cluster';
export { bigBatch } from './million';
export { pace } from './pace';
export { rateLimits } from './rate-limits';
export { resumeLatency } from './resume';
export { scaleOut } from './scale-out';
export { sourceScaling } from './sources';
export { throughput } from './throughput';
export { commands } from './commands';
export { requestShape } from './request-shape';
export { metricsCost } from './metrics-cost';
