// DPoP (RFC 9449) with openid-client, unmodified: a public app signs in in Chromium and
// exchanges its code with a DPoP key pair (openid-client answers the server's nonce
// challenge itself), reads userinfo with the DPoP scheme, refreshes with the same key; a
// confidential client gets a bound client-credentials token. Every token says `cnf.jkt`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { calculateJwkThumbprint, exportJWK } from 'jose';
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

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const issuer = () => new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/default`);

test('openid-client: a public app binds its tokens to a DPoP key, reads userinfo and refreshes with it', async () => {
  await server.user('default', 'dpop@example.com', PASSWORD);
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'dpop spa', client_type: 'public', redirect_uris: [REDIRECT], first_party: true,
    allowed_grants: ['authorization_code', 'refresh_token'], allowed_scopes: ['openid', 'email', 'offline_access'],
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const config = await client.discovery(issuer(), app.body.client_id, undefined, client.None(),
    { execute: [client.allowInsecureRequests] });
  assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'EdDSA', 'Ed25519', 'RS256']);
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  const DPoP = client.getDPoPHandle(config, keyPair);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid email offline_access', state, dpop_jkt: jkt,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url.href);
    await page.fill('#email', 'dpop@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.click('form button[type=submit]')]);
    const tokens = await client.authorizationCodeGrant(config, new URL(receiver.received.at(-1)), {
      pkceCodeVerifier: verifier, expectedState: state,
    }, undefined, { DPoP });
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(claimsOf(tokens.access_token).cnf.jkt, jkt);

    const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
    assert.equal(info.email, 'dpop@example.com');
    // Without the key, the same token is refused.
    const bare = await fetch(config.serverMetadata().userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(bare.status, 401);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
    assert.equal(claimsOf(refreshed.access_token).cnf.jkt, jkt);
    // Another key cannot use the refresh token (and using it so ends the grant).
    const otherDPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token, undefined, { DPoP: otherDPoP }),
      (error) => error.error === 'invalid_dpop_proof');
  } catch (error) {
    await screenshot(page, 'dpop').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
});

test('openid-client: a confidential client gets a DPoP-bound client-credentials token (EdDSA key)', async () => {
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'dpop m2m', client_type: 'confidential', redirect_uris: ['https://m2m.example/cb'],
    allowed_grants: ['client_credentials'], allowed_scopes: ['reports'], dpop_bound_access_tokens: true,
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const config = await client.discovery(issuer(), app.body.client_id, undefined,
    client.ClientSecretBasic(app.body.client_secret), { execute: [client.allowInsecureRequests] });
  // Required by the application: without a proof, refused.
  await assert.rejects(client.clientCredentialsGrant(config, { scope: 'reports' }),
    (error) => error.error === 'invalid_dpop_proof');
  const keyPair = await client.randomDPoPKeyPair('EdDSA');
  const tokens = await client.clientCredentialsGrant(config, { scope: 'reports' }, { DPoP: client.getDPoPHandle(config, keyPair) });
  assert.equal(tokens.token_type, 'dpop');
  assert.equal(claimsOf(tokens.access_token).cnf.jkt, await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)));
});
