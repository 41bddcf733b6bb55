import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { credentialOf, parseAuth, type AuthPlace } from '../domain/request/auth';
import { Ledger, type RecordedRequest } from './ledger';
import { clientIds } from './client-file';
import { seededRandom } from './random';

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
  /** Where the API reads the credential, as start's --auth says it (default bearer); basic auth's password is the token. */
  auth?: string;
  /** Ids whose record exists already: a POST for one answers 409 Conflict. */
  conflictIds?: Iterable<string>;
  /** These client requests (1-based, counted from the start or the last reset) answer 429 with Retry-After. */
  throttleRequests?: number[];
  /** A RateLimit-Policy header sent with every answer, e.g. `"default";q=50;w=1`; the API states it, not enforces it. */
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

interface TokenState {
  successes: number;
  issuedAt: number;
  revoked: boolean;
  /** A JWT's `exp` (ms since epoch). */
  expiresAt?: number;
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
  const opts: FakeApiOptions = { ...initial };
  let missing = new Set(initial.missingIds ?? []);
  let conflicts = new Set(initial.conflictIds ?? []);
  let auth: AuthPlace = parseAuth(initial.auth ?? 'bearer');
  let random = seededRandom(opts.seed ?? 1);
  const ledger = new Ledger({ compact: opts.compactLedger === true });
  const tokens = new Map<string, TokenState>();
  /** While hanging, the requests held unanswered. */
  let hanging = false;
  const held = new Set<http.ServerResponse>();

  const issueToken = () => {
    const token = `tok_${randomBytes(12).toString('hex')}`;
    tokens.set(token, { successes: 0, issuedAt: Date.now(), revoked: false });
    return token;
  };
  const isExpired = (t: TokenState) =>
    t.revoked ||
    (t.expiresAt !== undefined && Date.now() >= t.expiresAt) ||
    (!!opts.expireAfter && t.successes >= opts.expireAfter) ||
    (!!opts.tokenTtlSeconds && Date.now() - t.issuedAt >= opts.tokenTtlSeconds * 1000);

  let jwks: { url: string; keys: ReturnType<typeof createRemoteJWKSet> } | undefined;
  /** A bearer token the API did not issue: a JWT from the authorization server, checked once and then kept. */
  const jwtToken = async (bearer: string): Promise<TokenState | 'expired' | undefined> => {
    const jwt = opts.jwt;
    if (!jwt) return undefined;
    if (jwks?.url !== jwt.jwksUrl) jwks = { url: jwt.jwksUrl, keys: createRemoteJWKSet(new URL(jwt.jwksUrl)) };
    try {
      const { payload } = await jwtVerify(bearer, jwks.keys, jwt.audience ? { audience: jwt.audience } : {});
      const state: TokenState = { successes: 0, issuedAt: Date.now(), revoked: false, ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}) };
      tokens.set(bearer, state);
      return state;
    } catch (err) {
      return err instanceof joseErrors.JWTExpired ? 'expired' : undefined;
    }
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    ledger.answered(status);
    const policy = opts.rateLimitPolicy ? { 'ratelimit-policy': opts.rateLimitPolicy } : {};
    res.writeHead(status, { 'content-type': 'application/json', ...policy, ...headers });
    res.end(JSON.stringify(body));
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The token the request carries in the place the API reads it from. */
  const tokenOf = (req: http.IncomingMessage, url: URL) => {
    const credential = credentialOf(auth, url, req.headers);
    return auth.kind === 'basic' ? credential?.slice(credential.indexOf(':') + 1) : credential;
  };

  const handleClient = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, id: string, body?: unknown) => {
    ledger.attempt(id);
    res.once('close', () => ledger.ended());
    if (hanging) return void held.add(res);
    if (opts.throttleRequests?.includes(ledger.requests)) {
      return send(res, 429, { ErrorMessage: 'Too Many Requests' }, { 'retry-after': String(opts.retryAfterSeconds ?? 1) });
    }
    const presented = tokenOf(req, url);
    const token = presented ? (tokens.get(presented) ?? (await jwtToken(presented))) : undefined;
    if (token === 'expired') return send(res, 401, EXPIRED_BODY);
    if (!token) return send(res, 401, INVALID_BODY);

    // One draw decides the fault, so a seed repeats the same sequence of faults.
    const r = random();
    let edge = 0;
    if (r < (edge += opts.resetRate ?? 0)) return req.socket.destroy();
    if (r < (edge += opts.faultRate ?? 0)) return send(res, 503, { ErrorMessage: 'Service Unavailable' });
    if (r < (edge += opts.rateLimitRate ?? 0)) {
      return send(res, 429, { ErrorMessage: 'Too Many Requests' }, { 'retry-after': String(opts.retryAfterSeconds ?? 1) });
    }
    const slow = r < (edge += opts.slowRate ?? 0);
    const delay = slow ? (opts.slowMs ?? 30_000) : (opts.latencyMs ?? 0) + random() * (opts.jitterMs ?? 0);
    if (delay > 0) await sleep(delay);
    if (res.destroyed) return; // the caller gave up (timeout): no answer, no success

    if (isExpired(token)) return send(res, 401, EXPIRED_BODY);
    if (missing.has(id)) return send(res, 404, { ErrorMessage: `Client ${id} not found` });
    if (req.method === 'POST' && conflicts.has(id)) {
      ledger.conflict(id);
      return send(res, 409, { ErrorMessage: `Client ${id} already exists` });
    }
    token.successes++;
    const key = req.headers['idempotency-key'];
    ledger.success(id, Array.isArray(key) ? key[0] : key, req.method === 'GET' ? undefined : recorded(req, body));
    send(res, req.method === 'POST' ? 201 : 200, clientBody(id));
  };

  /** What the ledger keeps of a write: its method, body and headers, never the credential. */
  const recorded = (req: http.IncomingMessage, body: unknown): RecordedRequest => {
    const headers: Record<string, string> = {};
    const secretHeader = auth.kind === 'header' ? auth.name.toLowerCase() : 'authorization';
    for (const [name, value] of Object.entries(req.headers)) if (name !== secretHeader && typeof value === 'string') headers[name] = value;
    return { method: req.method ?? '', ...(body !== undefined ? { body } : {}), headers };
  };

  /** A write's JSON body, or undefined with a 400 sent. */
  const readJsonBody = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<{ value: unknown } | undefined> => {
    let text = '';
    for await (const chunk of req) text += (chunk as Buffer).toString();
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return void send(res, 415, { ErrorMessage: 'The body must be application/json' });
    try {
      return { value: JSON.parse(text) };
    } catch {
      return void send(res, 400, { ErrorMessage: 'The body is not valid JSON' });
    }
  };

  /** `METHOD /clients/{id}`, or `POST /clients` with the id in the body (`id` or `ClientId`). */
  const routeClient = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const method = req.method ?? '';
    const writes = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const body = writes ? await readJsonBody(req, res) : undefined;
    if (writes && !body) return;
    let id: string;
    if (url.pathname === '/clients') {
      const fields = (body?.value ?? {}) as { id?: unknown; ClientId?: unknown };
      const given = fields.id ?? fields.ClientId;
      if (method !== 'POST' || (typeof given !== 'string' && typeof given !== 'number'))
        return send(res, 400, { ErrorMessage: 'POST /clients needs an id in the body' });
      id = String(given);
    } else {
      try {
        id = decodeURIComponent(url.pathname.slice('/clients/'.length));
      } catch {
        return send(res, 400, { ErrorMessage: 'Bad client id encoding' });
      }
    }
    await handleClient(req, res, url, id, body?.value);
  };

  const configure = (changes: Partial<FakeApiOptions>) => {
    Object.assign(opts, changes);
    if (changes.missingIds) missing = new Set(changes.missingIds);
    if (changes.conflictIds) conflicts = new Set(changes.conflictIds);
    if (changes.auth) auth = parseAuth(changes.auth);
    if (changes.seed !== undefined) random = seededRandom(changes.seed);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (/^\/clients(\/.+)?$/.test(url.pathname) && CLIENT_METHODS.has(req.method ?? '')) {
      routeClient(req, res, url).catch(() => res.destroy());
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      return send(res, 200, { token: issueToken(), expiresAfterCalls: opts.expireAfter ?? 0, ttlSeconds: opts.tokenTtlSeconds ?? 0 });
    }
    if (req.method === 'GET' && url.pathname === '/_stats') return send(res, 200, ledger);
    if (req.method === 'GET' && url.pathname === '/_check') {
      // The ledger against the ids of a generated file of `count` clients: counts, and the first few of each.
      const check = ledger.check(clientIds(Number(url.searchParams.get('count') ?? 0)));
      return send(res, 200, Object.fromEntries(Object.entries(check).map(([k, ids]) => [k, { count: ids.length, first: ids.slice(0, 5) }])));
    }
    if (req.method === 'POST' && url.pathname === '/_reset') return (ledger.reset(), res.writeHead(204).end());
    if (req.method === 'POST' && url.pathname === '/_configure') {
      // The knobs of a fake API that runs in another process (a test's network host); the port and address stay.
      let body = '';
      req
        .on('data', (d: Buffer) => (body += d.toString()))
        .on('end', () => {
          const changes = JSON.parse(body || '{}') as FakeApiOptions;
          delete changes.port;
          delete changes.host;
          configure(changes);
          res.writeHead(204).end();
        });
      return;
    }
    send(res, 404, { ErrorMessage: 'Not found' });
  });
  server.keepAliveTimeout = 30_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host ?? '127.0.0.1', () => (server.off('error', reject), resolve()));
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(opts.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const origin = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  return {
    origin,
    baseUrl: `${origin}/clients/`,
    ledger,
    issueToken,
    issuedTokens: () => [...tokens.keys()],
    expireAllTokens: () => tokens.forEach((t) => (t.revoked = true)),
    configure,
    goDown: close,
    async hang() {
      hanging = true;
      if (!server.listening) await listen(port);
    },
    async comeBack() {
      hanging = false;
      for (const res of held) res.destroy(); // a restarted API drops what it held
      held.clear();
      if (!server.listening) await listen(port);
    },
    close: () => (server.listening ? close() : Promise.resolve()),
  };
}
