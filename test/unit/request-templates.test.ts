import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, requestOf, type RequestSpec } from '../../src/contract/options';
import { classifyResponse } from '../../src/domain/classify';
import { credentialOf, parseAuth, redactSecret } from '../../src/domain/request/auth';
import {
  checkBodyOnEntries,
  checkRequestSpec,
  entryFieldCheck,
  namesGroupFields,
} from '../../src/domain/request/check-request';
import { rootFields, compileExpression } from '../../src/domain/request/expression';
import { parseOkStatus } from '../../src/domain/request/ok-status';
import { renderRequest, requestText } from '../../src/domain/request/render-request';
import type { ClientEntry } from '../../src/domain/sources';

const spec = (over: Partial<RequestSpec> = {}): RequestSpec => ({ ...requestOf(DEFAULT_OPTIONS), ...over });
const entry = (position: number, record: Record<string, unknown>): ClientEntry => ({
  id: String(record.ClientId),
  position,
  record,
});
const ada = entry(0, { ClientId: 'C-1', ClientName: 'Ada', Region: 'eu', Tier: 2 });
const bo = entry(1, { ClientId: 'C-2', ClientName: 'Bo' });
const URL_ = 'https://api.example.com/clients';

describe('request templates: static checks', () => {
  it('accepts a full POST spec', () => {
    expect(() =>
      checkRequestSpec(
        spec({
          method: 'POST',
          headers: ['X-Region: {Region}'],
          body: '{"id": ClientId}',
          auth: 'header:X-Api-Key',
          okStatus: '2xx,409',
          result: 'id',
        }),
        URL_,
      ),
    ).not.toThrow();
  });

  it.each([
    [{ headers: ['no colon'] }, /--header "no colon" is not "Name: value"/],
    [{ headers: ['Bad Name: x'] }, /"bad name" is not a header name/],
    [
      { headers: ['X-Api-Key: abc'] },
      /--header "x-api-key" would keep a credential in the batch's history as written; .* with --auth header:x-api-key/,
    ],
    [{ headers: ['Authorization: Bearer abc'] }, /with --auth bearer or --auth basic/],
    [{ auth: 'cookie' }, /--auth "cookie" is not a place for the credential; use bearer, basic, header:NAME/],
    [{ auth: 'header:X Key' }, /--auth "header:X Key"/],
    [{ okStatus: '2xx,4o9' }, /"4o9" is not a status; use classes such as 2xx/],
    [{ okStatus: '204-200' }, /ends before it starts/],
    [
      { method: 'POST' as const, body: '{"id": ClientId, ' },
      /--body: Expected ":" before end of expression at position 17 of the expression/,
    ],
    [{ result: '{"id": ' }, /--result: .* at position \d+ of the expression/],
    [{ body: '{"id": ClientId}' }, /--body needs a method that sends one: add --method POST/],
  ])('refuses %j with an error that names the fix', (over, message) => {
    expect(() => checkRequestSpec(spec(over), URL_)).toThrow(message);
  });

  it('refuses an --api-url that is no URL', () => {
    expect(() => checkRequestSpec(spec(), 'api.example.com/{ClientId}')).toThrow(/is not a URL/);
  });
});

describe('request templates: every entry has the fields its URL and headers name', () => {
  it('names the entry and the flag of a missing field', () => {
    const check = entryFieldCheck(spec({ headers: ['X-Region: {Region}'] }), `${URL_}/{ClientId}`);
    expect(() => check(ada)).not.toThrow();
    expect(() => check(bo)).toThrow(
      'client 2 (ClientId C-2) has no value for Region, which --header "X-Region: {Region}" names; add it to every client or change the template',
    );
    expect(() => entryFieldCheck(spec(), 'https://x/{Tier}/{Plan}')(ada)).toThrow(
      /client 1 \(ClientId C-1\) has no value for Plan, which --api-url names/,
    );
  });

  it('refuses a field that holds an object, not a single value', () => {
    expect(() =>
      entryFieldCheck(spec(), 'https://x/{Nested}')(entry(4, { ClientId: 'C-5', Nested: { a: 1 } })),
    ).toThrow(/client 5 \(ClientId C-5\) has no value for Nested/);
  });
});

describe('request templates: group fields, from the object that holds the client', () => {
  const grouped = entry(2, { ClientId: 'C-3', $group: { Region: 'eu', Zone: 7 } });

  it('fills {$group.Field} in the URL and headers, and $group.Field in the body', async () => {
    const req = await renderRequest(
      spec({ method: 'POST', headers: ['X-Zone: {$group.Zone}'], body: '{"id": ClientId, "region": $group.Region}' }),
      'https://api.example.com/{$group.Region}/clients',
      grouped,
      'k',
      'secret',
    );
    expect(req.url.href).toBe('https://api.example.com/eu/clients');
    expect(req.headers['x-zone']).toBe('7');
    expect(req.body).toBe('{"id":"C-3","region":"eu"}');
  });

  it('names the object, the field and the flag when a group lacks the field', () => {
    const check = entryFieldCheck(spec(), 'https://x/{$group.Country}/{ClientId}');
    expect(() => check(grouped)).toThrow(
      'the object that holds client 3 (ClientId C-3) has no value for Country, which --api-url names as {$group.Country}; add it to every object or change the template',
    );
    expect(() => entryFieldCheck(spec(), 'https://x/{$group.Zone}/{ClientId}')(grouped)).not.toThrow();
  });

  it('refuses another $ name, and group fields in a format that has no groups', () => {
    expect(() => checkRequestSpec(spec(), 'https://x/{$Region}/{ClientId}')).toThrow(
      '--api-url names {$Region}: a name that starts with $ is a field of the enclosing object, written {$group.Field}',
    );
    expect(namesGroupFields(spec(), 'https://x/{$group.Region}', 'seed-json')).toBe(true);
    expect(namesGroupFields(spec({ method: 'POST', body: '{"r": $group.R}' }), URL_, 'redrive')).toBe(true);
    expect(namesGroupFields(spec(), 'https://x/{Region}', 'seed-json')).toBe(false);
    expect(() => namesGroupFields(spec(), 'https://x/{$group.Region}', 'csv')).toThrow(
      /only the nested JSON format has \(objects that hold a ClientList\)/,
    );
  });
});

describe('request templates: the body, checked on the first entries', () => {
  const post = (body: string) => spec({ method: 'POST', body });

  it('passes a body that every first entry builds', async () => {
    await expect(checkBodyOnEntries(post('{"id": ClientId, "name": ClientName}'), [ada, bo])).resolves.toBeUndefined();
  });

  it('names the entry and the position where the expression fails', async () => {
    await expect(checkBodyOnEntries(post('{"id": ClientId, "n": $number(ClientName)}'), [ada])).rejects.toThrow(
      'client 1 (ClientId C-1): --body: Unable to cast value to a number: "Ada" at position 30 of the expression',
    );
  });

  it('refuses a field that none of the first entries has, with its position', async () => {
    await expect(checkBodyOnEntries(post('{"id": ClientId, "name": ClientNmae}'), [ada, bo])).rejects.toThrow(
      '--body names ClientNmae at position 35 of the expression, a field that none of the first 2 clients has; check its spelling',
    );
  });

  it('allows a field that only some entries have (the body may test for it)', async () => {
    await expect(
      checkBodyOnEntries(post('{"id": ClientId, "region": Region ? Region : "none"}'), [ada, bo]),
    ).resolves.toBeUndefined();
  });

  it('refuses a body that gives nothing', async () => {
    await expect(checkBodyOnEntries(post('Missing'), [ada])).rejects.toThrow(
      /client 1 \(ClientId C-1\): --body gives nothing/,
    );
  });

  it('reads only the fields of the entry itself, not those of nested paths or filters', () => {
    const fields = rootFields(
      compileExpression(
        '--body',
        '{"o": Orders[Price > 2].Name, "n": $uppercase(ClientName), "f": function($x){ $x.Inner }}',
      ),
    );
    expect(fields.map((f) => f.name)).toEqual(['Orders', 'ClientName']);
  });
});

describe('request templates: the rendered request', () => {
  it('fills the URL, headers and body from the entry, and puts the credential in its place', async () => {
    const req = await renderRequest(
      spec({
        method: 'PUT',
        headers: ['X-Region: {Region}'],
        body: '{"id": ClientId, "tier": Tier}',
        auth: 'query:api_key',
      }),
      'https://api.example.com/{Region}/clients/{ClientName}',
      ada,
      'b:r:C-1',
      's3cret/key',
    );
    expect(req.url.href).toBe('https://api.example.com/eu/clients/Ada?api_key=s3cret%2Fkey');
    expect(req.headers).toMatchObject({
      'x-region': 'eu',
      'idempotency-key': 'b:r:C-1',
      'content-type': 'application/json',
    });
    expect(req.body).toBe('{"id":"C-1","tier":2}');
    expect(credentialOf(parseAuth('query:api_key'), req.url, req.headers)).toBe('s3cret/key');
  });

  it('posts to a collection URL as it is, and appends the id for a request without a body', async () => {
    const post = await renderRequest(spec({ method: 'POST', body: '{"id": ClientId}' }), URL_, ada, 'k', 't');
    expect(post.url.href).toBe(URL_);
    expect((await renderRequest(spec(), `${URL_}/`, ada, 'k', 't')).url.href).toBe(`${URL_}/C-1`);
  });

  it.each([
    ['bearer', 'authorization', 'Bearer tok'],
    ['basic', 'authorization', `Basic ${Buffer.from('svc:tok').toString('base64')}`],
    ['header:X-Api-Key', 'x-api-key', 'tok'],
  ])('--auth %s puts the secret in %s', async (auth, header, value) => {
    const secret = auth === 'basic' ? 'svc:tok' : 'tok';
    const req = await renderRequest(spec({ auth }), `${URL_}/`, ada, 'k', secret);
    expect(req.headers[header]).toBe(value);
    expect(credentialOf(parseAuth(auth), req.url, req.headers)).toBe(secret);
  });

  it('shows the request with the credential REDACTED, wherever it goes', async () => {
    for (const auth of ['bearer', 'basic', 'header:X-Api-Key', 'query:api_key']) {
      const text = requestText(
        await renderRequest(
          spec({ auth, method: 'POST', body: '{"id": ClientId}' }),
          `${URL_}/{ClientId}`,
          ada,
          'k',
          'svc:s3cret',
          true,
        ),
      );
      expect(text).toContain('REDACTED');
      expect(text).not.toContain('s3cret');
    }
  });

  it('redacts the secret, plain or encoded, from text that may echo it', () => {
    expect(redactSecret('GET /x?api_key=a%2Fb failed; key a/b', 'a/b')).toBe(
      'GET /x?api_key=REDACTED failed; key REDACTED',
    );
    // basic auth as sent (base64 of user:password), and a secret with a quote as JSON echoes it
    const basic = Buffer.from('ada:pa"ss', 'utf8').toString('base64');
    expect(redactSecret(`{"seen":"Basic ${basic}","raw":"ada:pa\\"ss"}`, 'ada:pa"ss')).toBe(
      '{"seen":"Basic REDACTED","raw":"REDACTED"}',
    );
  });
});

describe('--ok-status', () => {
  it('counts the listed statuses as a success, and only those', () => {
    const ok = parseOkStatus('2xx,409,300-302');
    expect([200, 204, 299, 409, 300, 302].every(ok)).toBe(true);
    expect([199, 303, 400, 404, 410, 500].some(ok)).toBe(false);
    expect(classifyResponse({ status: 409, body: '{}' }, { isOk: ok })).toEqual({ kind: 'success' });
    expect(classifyResponse({ status: 409, body: '{}' })).toMatchObject({ kind: 'fail', reason: 'HTTP409:' });
  });
});
