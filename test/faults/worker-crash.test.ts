import { describe, it } from 'vitest';
import { KILLS_TITLE, killedWorkers } from '../helpers/worker-kills';

// Among the faults: npm test guards a killed worker with the local-calls twin in test/integration/.
describe('a batch whose worker dies', () => {
  const killed = killedWorkers();

  it.each([
    [1, false],
    [10, false],
  ])(KILLS_TITLE, killed);
});
