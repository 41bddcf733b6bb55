import { main } from '../main';

// `node dist/cli/boot/entry.js …` and `tsx src/cli/boot/entry.ts …` (tests, benchmarks) both land here;
// bin.ts, the installed command's entry, adds the heap cap and the bundle.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
