import { main } from './main';

// `node dist/cli/run.js …` (bin/clientsync.js) and `tsx src/cli/run.ts …` (tests) both land here.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
