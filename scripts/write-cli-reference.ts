// Writes docs/cli.md from the CLI's own definitions (npm run docs:cli).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../src/cli/main';
import { cliReference } from '../src/cli/reference';

writeFileSync(path.resolve(__dirname, '../docs/cli.md'), cliReference(buildProgram()));
