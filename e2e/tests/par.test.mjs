// Pushed authorization requests (RFC 9126) with openid-client, unmodified: a confidential
// web app that requires PAR pushes its request, sends Chromium with the request_uri alone,
// and exchanges the code; a request that was not pushed is refused back to the app.
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

test('openid-client: PAR required by the application, pushed, signed in, exchanged', async () => {
  await server.user('default', 'par@example.com', PASSWORD);
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'pushed web app', client_type: 'confidential', redirect_uris: [REDIRECT], first_party: true, require_par: true,
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const issuer = new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/default`);
  const config = await client.discovery(issuer, app.body.client_id, { id_token_signed_response_alg: 'ES256' },
    client.ClientSecretBasic(app.body.client_secret), { execute: [client.allowInsecureRequests] });
  assert.ok(config.serverMetadata().pushed_authorization_request_endpoint);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const parameters = {
    redirect_uri: REDIRECT, scope: 'openid email', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  };
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // Not pushed: the application's policy sends the browser back with invalid_request.
    const direct = client.buildAuthorizationUrl(config, parameters);
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.goto(direct.href)]);
    assert.equal(new URL(receiver.received.at(-1)).searchParams.get('error'), 'invalid_request');

    const pushed = await client.buildAuthorizationUrlWithPAR(config, parameters);
    assert.deepEqual([...pushed.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    await page.goto(pushed.href);
    await page.fill('#email', 'par@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.click('form button[type=submit]')]);
    const tokens = await client.authorizationCodeGrant(config, new URL(receiver.received.at(-1)), {
      pkceCodeVerifier: verifier, expectedState: state,
    });
    assert.equal(tokens.claims().email, 'par@example.com');
  } catch (error) {
    await screenshot(page, 'par').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
});
