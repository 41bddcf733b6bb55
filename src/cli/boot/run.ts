import { main } from '../main';

// `node dist/cli/boot/run.js …` and `tsx src/cli/boot/run.ts …` (tests, benchmarks) both land here; bin.ts, the installed command's entry, adds the heap cap and the bundle.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
