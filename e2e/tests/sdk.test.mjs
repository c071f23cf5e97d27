// @intelliauth/spa-js in Chromium against the real server, through the example SPA
// (examples/spa) on its own origin: sign-in with redirect, a protected call through
// fetchWithAuth, an access-token expiry survived by refreshing, state_mismatch on a forged
// and on a replayed callback, sign-out, session_revoked, and network_error once the
// server is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { ensureSdkBuilt, registerApplication, startExample } from '../../examples/spa/serve.mjs';

const PASSWORD = 'correct horse battery';
const TENANT = 'sdk';
let server, browser, example, catalogue, userId, issuer;

before(async () => {
  ensureSdkBuilt();
  server = await startServer();
  browser = await launch();
  catalogue = await server.catalogue();
  // Access tokens live 3 s so the test sees one expire.
  await server.tenant(TENANT, { oauth: { access_token_lifetime_s: 3 } });
  userId = await server.user(TENANT, 'spa@example.com', PASSWORD);
  // Reserve the origin first: the application's redirect URI names its port.
  example = await startExample({ issuer: 'pending', clientId: 'pending', port: 0 });
  const origin = example.origin;
  example.server.close();
  const port = Number(new URL(origin).port);
  const clientId = await registerApplication({ server: server.base, tenant: TENANT, token: server.token, origin });
  // The server names itself localhost (its public URL); so does the app: same site, other origin.
  issuer = `${server.base.replace('127.0.0.1', 'localhost')}/t/${TENANT}`;
  example = await startExample({ issuer, clientId, port, leewaySeconds: 0 });
});

after(async () => {
  await browser?.close();
  example?.server.close();
  await server?.stop();
});

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]');
}

async function signIn(page, email = 'spa@example.com') {
  await page.goto(`${example.origin}/`);
  await ready(page);
  await Promise.all([page.waitForURL(`**/t/${TENANT}/login**`), page.click('#sign-in')]);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${example.origin}/**`), page.click('form button[type=submit]')]);
  await ready(page);
  assert.equal(await page.textContent('#status'), `Signed in as ${email}`);
  assert.equal(new URL(page.url()).search, '', 'the callback parameters are gone from the address bar');
}

async function callApi(page) {
  await page.evaluate(() => {
    document.getElementById('result').textContent = '';
    document.getElementById('error').textContent = '';
  });
  await page.click('#call-api');
  await page.waitForFunction(() => document.getElementById('result').textContent || document.getElementById('error').textContent);
}

const tokens = (page) => page.evaluate(() => {
  const key = Object.keys(localStorage).find((k) => k.startsWith('intelliauth.tokens.'));
  return key ? JSON.parse(localStorage.getItem(key)) : null;
});

test('sign in, call the API, survive an expiry, sign out; forged and replayed callbacks are state_mismatch', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const callbacks = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && frame.url().includes('code=')) callbacks.push(frame.url());
  });
  try {
    await signIn(page);
    await callApi(page);
    assert.equal(JSON.parse(await page.textContent('#result')).email, 'spa@example.com');
    const first = await tokens(page);

    // The access token expires; the next call refreshes it (rotating the refresh token).
    await page.waitForTimeout(3500);
    await callApi(page);
    assert.equal(JSON.parse(await page.textContent('#result')).email, 'spa@example.com');
    const second = await tokens(page);
    assert.notEqual(second.accessToken, first.accessToken, 'a new access token');
    assert.notEqual(second.refreshToken, first.refreshToken, 'the refresh token rotated');

    // A callback with a state this browser never sent, and the real one replayed.
    await page.goto(`${example.origin}/?code=forged&state=forged`);
    await ready(page);
    assert.equal(await page.getAttribute('#error', 'data-code'), 'state_mismatch');
    assert.equal(await page.textContent('#error'), catalogue.state_mismatch.message);
    await page.goto(callbacks[0]);
    await ready(page);
    assert.equal(await page.getAttribute('#error', 'data-code'), 'state_mismatch', 'a replayed callback');
    await screenshot(page, 'sdk-state-mismatch');

    // Sign out: RP-initiated logout ends the server session and comes back signed out.
    await Promise.all([page.waitForResponse((response) => response.url().includes('/oauth/logout')), page.click('#sign-out')]);
    await page.waitForURL(`${example.origin}/`);
    await ready(page);
    assert.equal(await page.textContent('#status'), 'Signed out');
    assert.equal(await tokens(page), null);
    await page.goto(`${issuer}/account`);
    assert.ok(page.url().includes('/login'), 'the server session ended too');
  } finally {
    await context.close();
  }
});

test('two tabs share one refresh; a 401 token_expired renews and repeats; without a refresh token prompt=none renews', async () => {
  const context = await browser.newContext();
  const first = await context.newPage();
  try {
    await signIn(first);
    const second = await context.newPage();
    await second.goto(`${example.origin}/`);
    await ready(second);
    const refreshes = [];
    context.on('request', (request) => {
      if (request.url().endsWith('/oauth/token') && (request.postData() ?? '').includes('grant_type=refresh_token')) refreshes.push(request);
    });
    // The SDK as an app imports it, with the example's settings (so the same token cache).
    const renew = (page) => page.evaluate(async () => {
      const { createIntelliAuthClient } = await import('/sdk/index.js');
      const config = await (await fetch('/config.json')).json();
      const auth = createIntelliAuthClient({ issuer: config.issuer, clientId: config.clientId, redirectUri: `${location.origin}/`, leewaySeconds: 0 });
      window.sdkAuth = auth;
      const tokens = await Promise.all([auth.getTokenSilently(), auth.getTokenSilently(), auth.getTokenSilently()]);
      return [...new Set(tokens)];
    });
    await first.waitForTimeout(3500);
    const [fromFirst, fromSecond] = await Promise.all([renew(first), renew(second)]);
    assert.equal(fromFirst.length, 1, 'concurrent calls in a tab share one renewal');
    assert.deepEqual(fromFirst, fromSecond, 'the other tab waited for the lock and found the new token');
    assert.equal(refreshes.length, 1, 'one refresh for two tabs and six calls');

    // The cache says fresh, the server says expired: fetchWithAuth renews once and repeats.
    await first.waitForTimeout(3500);
    const outcome = await first.evaluate(async (userinfo) => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('intelliauth.tokens.'));
      const cached = JSON.parse(localStorage.getItem(key));
      localStorage.setItem(key, JSON.stringify({ ...cached, expiresAt: Date.now() + 3_600_000 }));
      const response = await window.sdkAuth.fetchWithAuth(userinfo);
      return { status: response.status, email: (await response.json()).email, renewed: JSON.parse(localStorage.getItem(key)).accessToken !== cached.accessToken };
    }, `${issuer}/oauth/userinfo`);
    assert.deepEqual(outcome, { status: 200, email: 'spa@example.com', renewed: true });

    // Without a refresh token, the session cookie renews through prompt=none in a hidden frame.
    const silent = await first.evaluate(async () => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('intelliauth.tokens.'));
      const cached = JSON.parse(localStorage.getItem(key));
      localStorage.setItem(key, JSON.stringify({ ...cached, refreshToken: undefined, expiresAt: 0 }));
      const token = await window.sdkAuth.getTokenSilently();
      return { renewed: token !== cached.accessToken, frames: document.querySelectorAll('iframe').length };
    });
    assert.deepEqual(silent, { renewed: true, frames: 0 });
  } finally {
    await context.close();
  }
});

test('step_up_required from the app\'s API starts step-up with the challenge\'s acr_values and max_age', async () => {
  await server.user(TENANT, 'admin@example.com', PASSWORD, { admin: true });
  const victim = await server.user(TENANT, 'leaving@example.com', PASSWORD);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page, 'admin@example.com');
    const stepUp = page.waitForRequest((request) => request.url().includes('/oauth/authorize') && request.url().includes('acr_values='));
    // The admin's token is from a password-only sign-in: deleting a user needs more.
    await page.evaluate(async (id) => {
      const { createIntelliAuthClient } = await import('/sdk/index.js');
      const config = await (await fetch('/config.json')).json();
      const auth = createIntelliAuthClient({ issuer: config.issuer, clientId: config.clientId, redirectUri: `${location.origin}/` });
      // It starts step-up (the page leaves) and rejects with step_up_required.
      auth.fetchWithAuth(`/api/users/${id}`, { method: 'DELETE' }).catch(() => undefined);
    }, victim);
    const url = new URL((await stepUp).url());
    assert.equal(url.searchParams.get('acr_values'), 'urn:intelliauth:loa:2');
    assert.equal(url.searchParams.get('max_age'), '300');
    // The signed-in admin is asked for a second factor (here: to set one up), not a password.
    await page.waitForURL('**/login/mfa**');
    assert.equal(await page.locator('#password').count(), 0);
    assert.equal((await server.api('GET', `/v1/tenants/${TENANT}/users/${victim}`)).status, 200, 'nobody was deleted');
  } finally {
    await context.close();
  }
});

test('a revoked session surfaces as session_revoked, and a stopped server as network_error', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await signIn(page);
    const revoked = await server.api('DELETE', `/v1/tenants/${TENANT}/users/${userId}/sessions`);
    assert.ok([200, 204].includes(revoked.status), JSON.stringify(revoked.body));
    await page.waitForTimeout(3500);
    // The example app follows the catalogue: session_revoked → loginWithRedirect().
    await Promise.all([page.waitForURL(`**/t/${TENANT}/login**`), page.click('#call-api')]);
    assert.ok(await page.locator('#password').isVisible(), 'the sign-in page, asking again');

    await signIn(page);
    await page.waitForTimeout(3500);
    await server.stop();
    server = null;
    await callApi(page);
    assert.equal(await page.getAttribute('#error', 'data-code'), 'network_error');
    assert.equal(await page.getAttribute('#error', 'data-family'), 'transport');
    assert.equal(await page.textContent('#error'), 'Connection issue. Try again.');
    await screenshot(page, 'sdk-network-error');
  } finally {
    await context.close();
  }
});
