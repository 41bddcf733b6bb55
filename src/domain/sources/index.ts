export * from '../../contract/sources';
export { readPage, scanSource, detectFormat, checkReadable } from './read-page';
export { validateSource, type SourceReport } from './validate';
export { fileVersion, isUrl, probeUrl, sourceName } from './byte-source';
