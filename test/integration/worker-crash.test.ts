import { describe, it } from 'vitest';
import { KILLS_TITLE, killedWorkers } from '../helpers/worker-kills';

// Chunks of 10: a killed worker's activity times out, and the next resumes its chunk from the last heartbeat. One
// client per activity is among the faults (test/faults/worker-crash.test.ts).
describe('a batch whose worker dies', () => {
  const killed = killedWorkers();

  it.each([[10, false]])(KILLS_TITLE, killed);
});
