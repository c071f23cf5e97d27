// The authorization request loginWithRedirect sends: the options a caller gives travel as
// their OpenID Connect (and Auth0) parameters.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IntelliAuthClient } from '@intelliauth/spa-js';

const ISSUER = 'https://id.example/t/acme';

function browserStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => { items.delete(key); },
    setItem: (key, value) => { items.set(key, value); },
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('buildAuthorizeUrl', () => {
  it('sends connection and login_hint, with PKCE, state and nonce', async () => {
    vi.stubGlobal('sessionStorage', browserStorage());
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ issuer: ISSUER, authorization_endpoint: `${ISSUER}/oauth/authorize` }),
      { headers: { 'content-type': 'application/json' } }));
    const client = new IntelliAuthClient({ issuer: ISSUER, clientId: 'app_1', redirectUri: 'https://app.example/cb', cacheLocation: 'memory' });
    const url = new URL(await client.buildAuthorizeUrl({ connection: 'github', login_hint: 'mona@example.com' }));
    expect(url.origin + url.pathname).toBe(`${ISSUER}/oauth/authorize`);
    expect(url.searchParams.get('connection')).toBe('github');
    expect(url.searchParams.get('login_hint')).toBe('mona@example.com');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    for (const name of ['state', 'nonce', 'code_challenge']) expect(url.searchParams.get(name)).toBeTruthy();
    const plain = new URL(await client.buildAuthorizeUrl());
    expect(plain.searchParams.has('connection')).toBe(false);
  });

  it('sends the API as audience: the one of the client, or of this sign-in over it', async () => {
    vi.stubGlobal('sessionStorage', browserStorage());
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ issuer: ISSUER, authorization_endpoint: `${ISSUER}/oauth/authorize` }),
      { headers: { 'content-type': 'application/json' } }));
    const client = new IntelliAuthClient({ issuer: ISSUER, clientId: 'app_1', redirectUri: 'https://app.example/cb',
      cacheLocation: 'memory', audience: 'https://reports.example.com/', scope: 'openid read:reports' });
    const url = new URL(await client.buildAuthorizeUrl());
    expect(url.searchParams.get('audience')).toBe('https://reports.example.com/');
    expect(url.searchParams.get('scope')).toBe('openid read:reports');
    const other = new URL(await client.buildAuthorizeUrl({ audience: 'https://billing.example.com/' }));
    expect(other.searchParams.get('audience')).toBe('https://billing.example.com/');
    expect(url.searchParams.has('organization')).toBe(false);
    const org = new URL(await client.buildAuthorizeUrl({ organization: 'acme-corp' }));
    expect(org.searchParams.get('organization')).toBe('acme-corp');
  });
});
