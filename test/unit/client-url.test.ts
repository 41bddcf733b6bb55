import { describe, expect, it } from 'vitest';
import { checkApiUrl, clientUrl } from '../../src/domain/client-url';

const entry = (id: string, record: Record<string, unknown> = {}) => ({
  id,
  position: 0,
  record: { ClientId: id, ...record },
});

describe('clientUrl', () => {
  it('appends the id as the original script does, or fills {ClientId}, URL-encoded', () => {
    expect(clientUrl('https://api.example.com/clients/', entry('C-1'))).toBe('https://api.example.com/clients/C-1');
    expect(clientUrl('https://x/c/{ClientId}/profile?id={ClientId}', entry('a/b c'))).toBe(
      'https://x/c/a%2Fb%20c/profile?id=a%2Fb%20c',
    );
    expect(clientUrl('https://x/c/', entry('客户-7'))).toBe('https://x/c/%E5%AE%A2%E6%88%B7-7');
  });

  it('fills any field of the entry, percent-encoded', () => {
    expect(
      clientUrl(
        'https://x/{Region}/accounts/{ClientId}?n={ClientName}',
        entry('7', { Region: 'eu/west', ClientName: 'Zoë & co' }),
      ),
    ).toBe('https://x/eu%2Fwest/accounts/7?n=Zo%C3%AB%20%26%20co');
    expect(() => clientUrl('https://x/{Region}/', entry('7'))).toThrow(/has no field Region/);
  });

  it('rejects what is not an http(s) URL with the fix', () => {
    expect(() => checkApiUrl('not a url')).toThrow(/is not a URL; use e.g./);
    expect(() => checkApiUrl('ftp://x/')).toThrow(/must be http/);
    expect(() => checkApiUrl('http://127.0.0.1:1/clients/')).not.toThrow();
    expect(() => checkApiUrl('http://127.0.0.1:1/{Region}/clients/{ClientId}')).not.toThrow();
  });
});
