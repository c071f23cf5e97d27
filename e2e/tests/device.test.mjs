// The device authorization grant (RFC 8628) with openid-client, unmodified: the "device"
// gets its codes and polls; a person opens the verification page in Chromium, signs in,
// checks the code and allows it; the device's poll ends with tokens whose ID token
// openid-client validates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectAccessible } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('openid-client signs a TV in: codes, the verification page in Chromium, polling to tokens', async () => {
  await server.user('default', 'couch@example.com', PASSWORD, { name: 'Couch Potato' });
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'Living-room TV', client_type: 'public', allowed_grants: [DEVICE_GRANT, 'refresh_token'],
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const issuer = new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/default`);
  const config = await client.discovery(issuer, app.body.client_id, { id_token_signed_response_alg: 'ES256' }, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  const device = await client.initiateDeviceAuthorization(config, { scope: 'openid email offline_access' });
  assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  const polling = client.pollDeviceAuthorizationGrant(config, device);

  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    // The person types the code by hand (lower-case, no dash) after signing in.
    await page.goto(device.verification_uri);
    await page.fill('#email', 'couch@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL('**/device**'), page.click('form button[type=submit]')]);
    await page.fill('#user_code', device.user_code.replace('-', '').toLowerCase());
    await page.click('form button[type=submit]');
    await page.locator('#user-code', { hasText: device.user_code }).waitFor();
    assert.match(await page.textContent('main'), /Living-room TV on your device asks to sign in/);
    await expectAccessible(assert, page, 'device confirmation page');
    await page.click('#allow');
    await page.locator('#device-done', { hasText: 'Your device is signed in' }).waitFor();
  } catch (error) {
    await screenshot(page, 'device-flow');
    throw error;
  } finally {
    await context.close();
  }

  const tokens = await polling;
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token, 'offline_access: the device can stay signed in');
  const claims = tokens.claims();
  assert.equal(claims.email, 'couch@example.com');
  assert.equal(claims.aud, app.body.client_id);
});
