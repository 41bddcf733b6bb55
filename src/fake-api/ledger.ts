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
    this.requestTimes.push(Date.now());
    this.record(id).attempts++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
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
    const rec = this.record(id);
    rec.successes++;
    rec.successKeys.push(idempotencyKey ?? '');
    if (write) (rec.writes ??= []).push(write);
    this.successTimes.push(Date.now());
  }

  get totalSuccesses(): number {
    return this.successTimes.length;
  }

  /** Compares the calls made with the ids that should each have succeeded exactly once. */
  check(expectedIds: Iterable<string>): LedgerCheck {
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
    this.clients.clear();
    for (const k of Object.keys(this.statusCounts)) delete this.statusCounts[k];
    this.requests = 0;
    this.successTimes = [];
    this.requestTimes = [];
    this.maxInFlight = this.inFlight;
  }

  /** A ledger from a `GET /_stats` body (a fake API in another process). */
  static fromJSON(json: {
    requests: number;
    statusCounts: Record<string, number>;
    clients: Record<string, ClientRecord>;
    successTimes?: number[];
    requestTimes?: number[];
    maxInFlight?: number;
  }): Ledger {
    const ledger = new Ledger();
    ledger.requests = json.requests;
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
