/** A write as the API received it: its method, JSON body and headers (never the credential). */
export interface RecordedRequest {
  method: string;
  body?: unknown;
  headers: Record<string, string>;
}

/** What one client saw: successful calls and the Idempotency-Key each success carried. */
export interface ClientRecord {
  attempts: number;
  successes: number;
  successKeys: string[];
  /** Each successful write (not GETs), in order. */
  writes?: RecordedRequest[];
  /** Creates answered 409 Conflict: the record existed already. */
  conflicts?: number;
}

export interface LedgerCheck {
  /** Expected ids with no successful call. */
  missing: string[];
  /** Ids called successfully more than once. */
  repeated: string[];
  /** Repeats whose Idempotency-Keys differ: never acceptable. */
  repeatedWithOtherKey: string[];
  /** Successful ids that were not expected. */
  unexpected: string[];
}

/**
 * The fake API's record of every call, so tests can assert "each client succeeded exactly once".
 * Timestamps of successes are kept (as numbers) to measure resume latency.
 */
export class Ledger {
  readonly clients = new Map<string, ClientRecord>();
  /**
   * A compact ledger, for batches of millions: per client only its successes and whether their
   * Idempotency-Keys agreed, by the number in its id (`C-000042` is 42); no times, no per-client records.
   */
  private tally?: CompactTally;
  private successCount = 0;

  constructor(opts: { compact?: boolean } = {}) {
    if (opts.compact) this.tally = new CompactTally();
  }
  readonly statusCounts: Record<string, number> = {};
  requests = 0;
  successTimes: number[] = [];
  /** When each client request arrived (ms since epoch). */
  requestTimes: number[] = [];
  /** Client requests not yet answered, and the most there were at once: what a batch's concurrency allows. */
  inFlight = 0;
  maxInFlight = 0;

  private record(id: string): ClientRecord {
    let rec = this.clients.get(id);
    if (!rec) {
      rec = { attempts: 0, successes: 0, successKeys: [] };
      this.clients.set(id, rec);
    }
    return rec;
  }

  attempt(id: string): void {
    this.requests++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    if (this.tally) return;
    this.requestTimes.push(Date.now());
    this.record(id).attempts++;
  }

  conflict(id: string): void {
    const rec = this.record(id);
    rec.conflicts = (rec.conflicts ?? 0) + 1;
  }

  /** A client request was answered, or its connection closed. */
  ended(): void {
    this.inFlight--;
  }

  answered(status: number): void {
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
  }

  success(id: string, idempotencyKey: string | undefined, write?: RecordedRequest): void {
    this.successCount++;
    if (this.tally) return this.tally.success(id, idempotencyKey ?? '');
    const rec = this.record(id);
    rec.successes++;
    rec.successKeys.push(idempotencyKey ?? '');
    if (write) (rec.writes ??= []).push(write);
    this.successTimes.push(Date.now());
  }

  get totalSuccesses(): number {
    return this.successCount;
  }

  /** Compares the calls made with the ids that should each have succeeded exactly once. */
  check(expectedIds: Iterable<string>): LedgerCheck {
    if (this.tally) return this.tally.check(expectedIds);
    const expected = new Set(expectedIds);
    const result: LedgerCheck = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };
    for (const id of expected) if ((this.clients.get(id)?.successes ?? 0) === 0) result.missing.push(id);
    for (const [id, rec] of this.clients) {
      if (rec.successes > 0 && !expected.has(id)) result.unexpected.push(id);
      if (rec.successes > 1) {
        result.repeated.push(id);
        if (new Set(rec.successKeys).size > 1) result.repeatedWithOtherKey.push(id);
      }
    }
    return result;
  }

  reset(): void {
    if (this.tally) this.tally = new CompactTally();
    this.clients.clear();
    for (const k of Object.keys(this.statusCounts)) delete this.statusCounts[k];
    this.requests = 0;
    this.successCount = 0;
    this.successTimes = [];
    this.requestTimes = [];
    this.maxInFlight = this.inFlight;
  }

  /** A ledger from a `GET /_stats` body (a fake API in another process). */
  static fromJSON(json: {
    requests: number;
    successes?: number;
    statusCounts: Record<string, number>;
    clients: Record<string, ClientRecord>;
    successTimes?: number[];
    requestTimes?: number[];
    maxInFlight?: number;
  }): Ledger {
    const ledger = new Ledger();
    ledger.requests = json.requests;
    ledger.successCount = json.successes ?? json.successTimes?.length ?? 0;
    ledger.maxInFlight = json.maxInFlight ?? 0;
    ledger.successTimes = json.successTimes ?? [];
    ledger.requestTimes = json.requestTimes ?? [];
    Object.assign(ledger.statusCounts, json.statusCounts);
    for (const [id, rec] of Object.entries(json.clients)) ledger.clients.set(id, rec);
    return ledger;
  }

  /** The `GET /_stats` body. */
  toJSON(): object {
    const clients: Record<string, ClientRecord> = {};
    for (const [id, rec] of this.clients) clients[id] = rec;
    return {
      requests: this.requests,
      successes: this.totalSuccesses,
      statusCounts: this.statusCounts,
      clients,
      successTimes: this.successTimes,
      requestTimes: this.requestTimes,
      maxInFlight: this.maxInFlight,
    };
  }
}

/** FNV-1a: a 32-bit digest of an Idempotency-Key, enough to tell two keys apart in a compact ledger. */
function digest(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Successes per client number, in typed arrays that grow: about 5 bytes a client. */
class CompactTally {
  private counts = new Uint8Array(1 << 16);
  private keys = new Uint32Array(1 << 16);
  private readonly otherKey = new Set<number>();
  /** Successes of ids without a number, which no expected id can be. */
  private unnumbered: string[] = [];

  private static numberOf(id: string): number | undefined {
    const m = /(\d+)$/.exec(id);
    return m ? Number(m[1]) : undefined;
  }

  success(id: string, key: string): void {
    const n = CompactTally.numberOf(id);
    if (n === undefined) return void this.unnumbered.push(id);
    while (n >= this.counts.length) {
      const counts = new Uint8Array(this.counts.length * 2);
      counts.set(this.counts);
      const keys = new Uint32Array(this.keys.length * 2);
      keys.set(this.keys);
      [this.counts, this.keys] = [counts, keys];
    }
    if (this.counts[n] === 0) this.keys[n] = digest(key);
    else if (this.keys[n] !== digest(key)) this.otherKey.add(n);
    this.counts[n] = Math.min(255, this.counts[n]! + 1);
  }

  check(expectedIds: Iterable<string>): LedgerCheck {
    const result: LedgerCheck = {
      missing: [],
      repeated: [],
      repeatedWithOtherKey: [],
      unexpected: [...this.unnumbered],
    };
    const expected = new Uint8Array(this.counts.length);
    for (const id of expectedIds) {
      const n = CompactTally.numberOf(id);
      if (n === undefined || n >= this.counts.length || this.counts[n] === 0) result.missing.push(id);
      else expected[n] = 1;
    }
    for (let n = 0; n < this.counts.length; n++) {
      const c = this.counts[n]!;
      if (c === 0) continue;
      if (!expected[n]) result.unexpected.push(`#${n}`);
      if (c > 1) result.repeated.push(`#${n}`);
      if (this.otherKey.has(n)) result.repeatedWithOtherKey.push(`#${n}`);
    }
    return result;
  }
}
