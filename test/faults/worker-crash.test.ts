import { describe, it } from 'vitest';
import { KILLS_TITLE, killedWorkers } from '../helpers/worker-kills';

// One client per activity, among the faults: npm test kills workers with chunks of 10 and with local calls
// (test/integration/worker-crash*.test.ts); faults.test.ts kills them three times in a 3,000-client batch.
describe('a batch whose worker dies', () => {
  const killed = killedWorkers();

  it.each([[1, false]])(KILLS_TITLE, killed);
});
