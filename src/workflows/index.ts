// The worker bundles this file: workflow code only (deterministic, no Node built-ins, no I/O).
export { batchWorkflow } from './batch-workflow';
