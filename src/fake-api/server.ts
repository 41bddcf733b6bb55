import http from 'node:http';
import { setTimeout } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { credentialOf, parseAuth, type AuthPlace } from '../domain/request/auth';
import { Ledger, type RecordedRequest } from './ledger';
import { clientIds } from './client-file';
import { seededRandom } from './random';
import { TokenBook, type TokenState } from './tokens';

/** Knobs of the fake clients API. Rates are probabilities per request (0..1). */
export interface FakeApiOptions {
  port?: number;
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /** A token expires after this many successful calls (0: never). */
  expireAfter?: number;
  /** A token expires this many seconds after it was issued (0: never). */
  tokenTtlSeconds?: number;
  latencyMs?: number;
  jitterMs?: number;
  /** 503 Service Unavailable. */
  faultRate?: number;
  /** 429 Too Many Requests with Retry-After. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Answers after `slowMs`, longer than a caller's timeout. */
  slowRate?: number;
  slowMs?: number;
  /** The connection is reset without an answer. */
  resetRate?: number;
  /** Ids that answer 404. */
  missingIds?: Iterable<string>;
  seed?: number;
  /**
   * Also accept JWT access tokens signed by the keys at `jwksUrl` (an authorization server's), for
   * `audience` when given; one past its `exp` gets the original script's 401 "Session already expired."
   */
  jwt?: { jwksUrl: string; audience?: string };
  /**
   * Where the API reads the credential, as start's --auth says it (default bearer); basic auth's password is the token.
   */
  auth?: string;
  /** Ids whose record exists already: a POST for one answers 409 Conflict. */
  conflictIds?: Iterable<string>;
  /** These client requests (1-based, counted from the start or the last reset) answer 429 with Retry-After. */
  throttleRequests?: number[];
  /**
   * A RateLimit-Policy header sent with every answer, e.g. `"default";q=50;w=1`; the API states it, not enforces it.
   */
  rateLimitPolicy?: string;
  /** A ledger of counts only, about 5 bytes a client, for batches of millions (`GET /_check?count=N` reads it). */
  compactLedger?: boolean;
}

export interface FakeApi {
  /** e.g. http://127.0.0.1:4567 */
  origin: string;
  /** The original script's API_BASE_URL: origin + '/clients/'. */
  baseUrl: string;
  ledger: Ledger;
  /** Issues a token, as `POST /token` does. */
  issueToken(): string;
  /** Every token issued so far (tests check that none leaks into history or logs). */
  issuedTokens(): string[];
  /** Makes every token issued so far expired. */
  expireAllTokens(): void;
  /** Stops listening: callers get connection refused until comeBack(). */
  goDown(): Promise<void>;
  /** Listens, but answers nothing: each request hangs until comeBack(), which closes them. */
  hang(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  /** Changes knobs while running. */
  configure(options: Partial<FakeApiOptions>): void;
  close(): Promise<void>;
}

const CLIENT_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const EXPIRED_BODY = { ErrorMessage: 'Session already expired.' };
const INVALID_BODY = { ErrorMessage: 'Invalid token' };

/** A small deterministic payload per client, like the real API's profile answer. */
function clientBody(id: string): object {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return { ClientId: id, status: h % 7 === 0 ? 'inactive' : 'active', records: h % 1000 };
}

/** Starts the fake clients API on 127.0.0.1. */
export async function startFakeApi(initial: FakeApiOptions = {}): Promise<FakeApi> {
  const api = new FakeApiServer(initial);
  await api.listen(initial.port ?? 0);
  const { port } = api.server.address() as AddressInfo;
  const origin = `http://${initial.host ?? '127.0.0.1'}:${port}`;
  return {
    origin,
    baseUrl: `${origin}/clients/`,
    ledger: api.ledger,
    issueToken: () => api.tokens.issue(),
    issuedTokens: () => api.tokens.issued(),
    expireAllTokens: () => api.tokens.revokeAll(),
    configure: (changes) => api.configure(changes),
    goDown: () => api.close(),
    hang: () => api.hang(port),
    comeBack: () => api.comeBack(port),
    close: () => (api.server.listening ? api.close() : Promise.resolve()),
  };
}

/** The fake API's state and its routes: clients, tokens, and the knobs tests and benchmarks turn. */
class FakeApiServer {
  readonly server = http.createServer((req, res) => this.route(req, res));
  readonly ledger: Ledger;
  readonly tokens: TokenBook;
  private readonly opts: FakeApiOptions;
  private missing: Set<string>;
  private conflicts: Set<string>;
  private auth: AuthPlace;
  private random: () => number;
  /** While hanging, the requests held unanswered. */
  private hanging = false;
  private readonly held = new Set<http.ServerResponse>();

  constructor(initial: FakeApiOptions) {
    this.opts = { ...initial };
    this.missing = new Set(initial.missingIds ?? []);
    this.conflicts = new Set(initial.conflictIds ?? []);
    this.auth = parseAuth(initial.auth ?? 'bearer');
    this.random = seededRandom(initial.seed ?? 1);
    this.ledger = new Ledger({ compact: initial.compactLedger === true });
    this.tokens = new TokenBook(() => this.opts);
    this.server.keepAliveTimeout = 30_000;
  }

  configure(changes: Partial<FakeApiOptions>): void {
    Object.assign(this.opts, changes);
    if (changes.missingIds) this.missing = new Set(changes.missingIds);
    if (changes.conflictIds) this.conflicts = new Set(changes.conflictIds);
    if (changes.auth) this.auth = parseAuth(changes.auth);
    if (changes.seed !== undefined) this.random = seededRandom(changes.seed);
  }

  listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.opts.host ?? '127.0.0.1', () => (this.server.off('error', reject), resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async hang(port: number): Promise<void> {
    this.hanging = true;
    if (!this.server.listening) await this.listen(port);
  }

  async comeBack(port: number): Promise<void> {
    this.hanging = false;
    for (const res of this.held) res.destroy(); // a restarted API drops what it held
    this.held.clear();
    if (!this.server.listening) await this.listen(port);
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.ledger.answered(status);
    const policy = this.opts.rateLimitPolicy ? { 'ratelimit-policy': this.opts.rateLimitPolicy } : {};
    res.writeHead(status, { 'content-type': 'application/json', ...policy, ...headers });
    res.end(JSON.stringify(body));
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (/^\/clients(\/.+)?$/.test(url.pathname) && CLIENT_METHODS.has(req.method ?? '')) {
      this.routeClient(req, res, url).catch(() => res.destroy());
    } else if (req.method === 'POST' && url.pathname === '/token') {
      this.send(res, 200, {
        token: this.tokens.issue(),
        expiresAfterCalls: this.opts.expireAfter ?? 0,
        ttlSeconds: this.opts.tokenTtlSeconds ?? 0,
      });
    } else if (url.pathname.startsWith('/_')) {
      this.routeAdmin(req, res, url);
    } else {
      this.send(res, 404, { ErrorMessage: 'Not found' });
    }
  }

  /** The ledger and the knobs, for tests and benchmarks that run the API in another process. */
  private routeAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const { ledger } = this;
    if (req.method === 'GET' && url.pathname === '/_stats') return this.send(res, 200, ledger);
    if (req.method === 'GET' && url.pathname === '/_check') {
      // The ledger against the ids of a generated file of `count` clients: counts, and the first few of each.
      const check = ledger.check(clientIds(Number(url.searchParams.get('count') ?? 0)));
      return this.send(
        res,
        200,
        Object.fromEntries(Object.entries(check).map(([k, ids]) => [k, { count: ids.length, first: ids.slice(0, 5) }])),
      );
    }
    if (req.method === 'POST' && url.pathname === '/_reset') return void (ledger.reset(), res.writeHead(204).end());
    if (req.method === 'POST' && url.pathname === '/_configure') {
      // The port and address stay.
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const changes = JSON.parse(body || '{}') as FakeApiOptions;
        delete changes.port;
        delete changes.host;
        this.configure(changes);
        res.writeHead(204).end();
      });
      return;
    }
    this.send(res, 404, { ErrorMessage: 'Not found' });
  }

  /** `METHOD /clients/{id}`, or `POST /clients` with the id in the body (`id` or `ClientId`). */
  private async routeClient(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? '';
    const writes = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const body = writes ? await this.readJsonBody(req, res) : undefined;
    if (writes && !body) return;
    let id: string;
    if (url.pathname === '/clients') {
      const fields = (body?.value ?? {}) as { id?: unknown; ClientId?: unknown };
      const given = fields.id ?? fields.ClientId;
      if (method !== 'POST' || (typeof given !== 'string' && typeof given !== 'number'))
        return this.send(res, 400, { ErrorMessage: 'POST /clients needs an id in the body' });
      id = String(given);
    } else {
      try {
        id = decodeURIComponent(url.pathname.slice('/clients/'.length));
      } catch {
        return this.send(res, 400, { ErrorMessage: 'Bad client id encoding' });
      }
    }
    await this.answerClient(req, res, url, id, body?.value);
  }

  /** A write's JSON body, or undefined with a 400 sent. */
  private async readJsonBody(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<{ value: unknown } | undefined> {
    let text = '';
    for await (const chunk of req) text += (chunk as Buffer).toString();
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      return void this.send(res, 415, { ErrorMessage: 'The body must be application/json' });
    try {
      return { value: JSON.parse(text) };
    } catch {
      return void this.send(res, 400, { ErrorMessage: 'The body is not valid JSON' });
    }
  }

  /** One client's call: held, throttled, refused for its token, a fault, or its answer after the latency. */
  private async answerClient(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    id: string,
    body?: unknown,
  ): Promise<void> {
    const { opts, ledger } = this;
    ledger.attempt(id);
    res.once('close', () => ledger.ended());
    if (this.hanging) return void this.held.add(res);
    if (opts.throttleRequests?.includes(ledger.requests)) return this.tooMany(res);
    const presented = this.tokenOf(req, url);
    const token = presented ? await this.tokens.find(presented) : undefined;
    if (token === 'expired') return this.send(res, 401, EXPIRED_BODY);
    if (!token) return this.send(res, 401, INVALID_BODY);
    if (!(await this.passFaults(req, res))) return;
    if (res.destroyed) return; // the caller gave up (timeout): no answer, no success
    this.answerFor(req, res, id, token, body);
  }

  /**
   * One draw decides the fault, so a seed repeats the same sequence of faults; then the latency. False: answered
   * already.
   */
  private async passFaults(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const { opts } = this;
    const r = this.random();
    let edge = 0;
    if (r < (edge += opts.resetRate ?? 0)) return (req.socket.destroy(), false);
    if (r < (edge += opts.faultRate ?? 0)) return (this.send(res, 503, { ErrorMessage: 'Service Unavailable' }), false);
    if (r < (edge += opts.rateLimitRate ?? 0)) return (this.tooMany(res), false);
    const slow = r < (edge += opts.slowRate ?? 0);
    const delay = slow ? (opts.slowMs ?? 30_000) : (opts.latencyMs ?? 0) + this.random() * (opts.jitterMs ?? 0);
    if (delay > 0) await setTimeout(delay);
    return true;
  }

  private tooMany(res: http.ServerResponse): void {
    this.send(
      res,
      429,
      { ErrorMessage: 'Too Many Requests' },
      { 'retry-after': String(this.opts.retryAfterSeconds ?? 1) },
    );
  }

  /**
   * The answer for a client with a token that was good when the call came: expired by now, unknown, a conflict, or its
   * record.
   */
  private answerFor(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    id: string,
    token: TokenState,
    body: unknown,
  ): void {
    if (this.tokens.isExpired(token)) return this.send(res, 401, EXPIRED_BODY);
    if (this.missing.has(id)) return this.send(res, 404, { ErrorMessage: `Client ${id} not found` });
    if (req.method === 'POST' && this.conflicts.has(id)) {
      this.ledger.conflict(id);
      return this.send(res, 409, { ErrorMessage: `Client ${id} already exists` });
    }
    token.successes++;
    const key = req.headers['idempotency-key'];
    this.ledger.success(
      id,
      Array.isArray(key) ? key[0] : key,
      req.method === 'GET' ? undefined : this.recorded(req, body),
    );
    this.send(res, req.method === 'POST' ? 201 : 200, clientBody(id));
  }

  /** The token the request carries in the place the API reads it from. */
  private tokenOf(req: http.IncomingMessage, url: URL): string | undefined {
    const credential = credentialOf(this.auth, url, req.headers);
    return this.auth.kind === 'basic' ? credential?.slice(credential.indexOf(':') + 1) : credential;
  }

  /** What the ledger keeps of a write: its method, body and headers, never the credential. */
  private recorded(req: http.IncomingMessage, body: unknown): RecordedRequest {
    const headers: Record<string, string> = {};
    const secretHeader = this.auth.kind === 'header' ? this.auth.name.toLowerCase() : 'authorization';
    for (const [name, value] of Object.entries(req.headers))
      if (name !== secretHeader && typeof value === 'string') headers[name] = value;
    return { method: req.method ?? '', ...(body !== undefined ? { body } : {}), headers };
  }
}
