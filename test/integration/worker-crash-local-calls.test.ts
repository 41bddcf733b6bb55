import { describe, it } from 'vitest';
import { KILLS_TITLE, killedWorkers } from '../helpers/worker-kills';

describe('a batch of local calls whose worker dies', () => {
  const killed = killedWorkers();

  it.each([[1, true]])(KILLS_TITLE, killed);
});
