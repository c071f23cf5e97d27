// An unmodified, certified OIDC client library (openid-client) signs a user in through the
// hosted login page in Chromium: discovery, authorization code with PKCE, token exchange,
// ID token validation, userinfo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { startRedirectReceiver } from '../lib/redirect_receiver.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, receiver, REDIRECT;

before(async () => {
  server = await startServer();
  browser = await launch();
  receiver = await startRedirectReceiver();
  REDIRECT = receiver.redirectUri;
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

test('openid-client: code flow with PKCE, refresh with rotation, revocation and logout', async () => {
  await server.user('default', 'rp@example.com', PASSWORD, { name: 'Relying Party' });
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'spa', client_type: 'public', redirect_uris: [REDIRECT], first_party: true,
    post_logout_redirect_uris: [REDIRECT.replace('/callback', '/signed-out')],
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
    redirect_uri: REDIRECT, scope: 'openid email profile offline_access', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url.href);
    await page.fill('#email', 'rp@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.click('form button[type=submit]')]);
    const callback = receiver.received.at(-1);
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

    // Refresh rotates the refresh token; revocation ends the family.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated');
    await client.tokenRevocation(config, refreshed.refresh_token);
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (error) => error.error === 'invalid_grant');

    // RP-initiated logout returns to the registered address with the state.
    const signedOut = REDIRECT.replace('/callback', '/signed-out');
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: signedOut, state: 'bye' });
    await Promise.all([page.waitForURL(`${signedOut}**`), page.goto(endSession.href)]);
    assert.equal(receiver.received.at(-1), `${signedOut}?state=bye`);
    await page.goto(`${server.base.replace('127.0.0.1', 'localhost')}/t/default/account`);
    assert.ok(await page.isVisible('#password'), 'signed out: the account page asks to sign in');
  } finally {
    await screenshot(page, 'oidc_logout').catch(() => {});
    await context.close();
  }
});
