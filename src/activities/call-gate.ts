import { Semaphore } from 'async-mutex';

interface BatchGate {
  semaphore: Semaphore;
  limit: number;
  /** Calls inside or waiting; the gate is forgotten when none are. */
  users: number;
}

/**
 * --local-calls hands the worker a wave of several times a batch's concurrency at once; the gate lets
 * `concurrency` of that batch's calls run at a time, the others waiting in the wave's order. So the API
 * sees the batch's concurrency, and a slow call holds up one place instead of the wave's other calls.
 *
 * A call that finds the token expired tells the gate: the calls still waiting with that token then end
 * pending without calling, as a chunk's rest does.
 */
export class CallGate {
  private readonly batches = new Map<string, BatchGate>();
  /**
   * The newest token generation each batch found expired, and the API's words. Kept past the gate itself:
   * a call retried after a 503 may come back when no other call is in the gate.
   */
  private readonly expired = new Map<string, { generation: number; reason: string }>();

  /** Waits for one of the batch's `limit` places; the returned function gives it back. */
  async enter(key: string, limit: number): Promise<() => void> {
    const gate = this.batches.get(key) ?? { semaphore: new Semaphore(limit), limit, users: 0 };
    this.batches.set(key, gate);
    if (limit !== gate.limit) {
      // `clientsync set --concurrency` between waves: the places in use stay taken.
      gate.semaphore.setValue(gate.semaphore.getValue() + limit - gate.limit);
      gate.limit = limit;
    }
    gate.users++;
    const [, release] = await gate.semaphore.acquire();
    return () => {
      release();
      if (--gate.users === 0) this.batches.delete(key);
    };
  }

  /** A call of `generation` got an expired-token answer. */
  tokenExpired(key: string, generation: number, reason: string): void {
    if (generation < (this.expired.get(key)?.generation ?? -1)) return;
    this.expired.delete(key); // re-inserted last: the oldest batches are forgotten first
    this.expired.set(key, { generation, reason });
    if (this.expired.size > 1000) this.expired.delete(this.expired.keys().next().value!);
  }

  /** Why a call of `generation` need not be made: its token has expired (undefined: call). */
  expiredFor(key: string, generation: number): string | undefined {
    const expired = this.expired.get(key);
    return expired && generation <= expired.generation ? expired.reason : undefined;
  }
}
