export * from './types';
export { readPage, scanSource, detectFormat, checkReadable } from './read-page';
export { validateSource, type SourceReport } from './validate';
export { isUrl, probeUrl, sourceName } from './byte-source';
