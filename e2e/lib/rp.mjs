// A relying party for the browser tests: a local redirect URI that records each callback,
// a public application registered for it, and openid-client configured for the tenant.
import { createServer } from 'node:http';
import * as client from 'openid-client';

export async function relyingParty(server, tenant, name) {
  const callbacks = [];
  // Only the redirect itself: Chromium also asks this server for /favicon.ico.
  const listener = createServer((request, response) => {
    if (request.url.startsWith('/callback')) callbacks.push(request.url);
    response.end('ok');
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${listener.address().port}`;
  const redirect = `${origin}/callback`;
  const app = await server.api('POST', `/v1/tenants/${tenant}/applications`, {
    name, client_type: 'public', redirect_uris: [redirect], first_party: true,
  });
  if (app.status !== 201) throw new Error(`application: ${JSON.stringify(app.body)}`);
  const issuer = new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/${tenant}`);
  const config = await client.discovery(issuer, app.body.client_id, { id_token_signed_response_alg: 'ES256' }, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  return {
    config, redirect, callbacks,
    /** An authorization request (PKCE, state); `finish()` exchanges the last callback's code. */
    async authorization(extra = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirect, scope: 'openid', state, ...extra,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      return {
        url: url.href,
        finish: () => client.authorizationCodeGrant(config, new URL(`${origin}${callbacks.at(-1)}`), { pkceCodeVerifier: verifier, expectedState: state }),
      };
    },
    close: () => listener.close(),
  };
}
