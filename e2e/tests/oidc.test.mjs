// An unmodified, certified OIDC client library (openid-client) signs a user in through the
// hosted login page in Chromium: discovery, authorization code with PKCE, token exchange,
// ID token validation, userinfo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createServer } from 'node:http';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, callbackServer, REDIRECT;
const callbacks = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  // The relying party's callback: a real local server, as a web app would have.
  callbackServer = createServer((request, response) => {
    if (request.url.startsWith('/callback')) callbacks.push(`${REDIRECT.split('/callback')[0]}${request.url}`);
    response.end('signed in');
  });
  await new Promise((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  REDIRECT = `http://localhost:${callbackServer.address().port}/callback`;
});
after(async () => {
  await browser?.close();
  await server?.stop();
  callbackServer?.close();
});

test('openid-client completes the authorization code flow with PKCE', async () => {
  await server.user('default', 'rp@example.com', PASSWORD, { name: 'Relying Party' });
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'spa', client_type: 'public', redirect_uris: [REDIRECT], first_party: true,
  });
  assert.equal(app.status, 201);
  // The issuer is the server's public URL (http://localhost:<port> by default).
  const issuer = new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/default`);
  const config = await client.discovery(issuer, app.body.client_id, { id_token_signed_response_alg: 'ES256' }, client.None(), {
    execute: [client.allowInsecureRequests],
  });

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid email profile', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url.href);
    await page.fill('#email', 'rp@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.click('form button[type=submit]')]);
  } finally {
    await screenshot(page, 'oidc_callback').catch(() => {});
    await context.close();
  }
  const callback = callbacks.at(-1);
  assert.ok(callback, 'the browser came back to the redirect URI');

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
  });
  const claims = tokens.claims();
  assert.equal(claims.email, 'rp@example.com');
  assert.equal(claims.nonce, nonce);
  assert.deepEqual(claims.amr, ['pwd']);
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, 'rp@example.com');
  assert.equal(info.name, 'Relying Party');
});
