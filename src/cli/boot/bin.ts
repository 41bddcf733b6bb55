import { loadMain } from './bundle';
import { cappedWorkerArgs, dieWithParent, runCapped } from './heap-cap';

// The installed command's entry (bin/clientsync.js): as entry.ts, but a worker started without a
// heap cap runs itself again with one (see heap-cap.ts), and client commands load from the bundle (bundle.ts).
const capped = cappedWorkerArgs(process.argv, process.execArgv, process.env);
dieWithParent(process.env);
void (capped ? runCapped(capped) : loadMain(process.argv).then(({ main }) => main(process.argv))).then((code) => {
  process.exitCode = code;
});
