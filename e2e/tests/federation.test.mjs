// Upstream identity providers in Chromium, with node-oidc-provider (an unmodified, certified
// OpenID Provider) as the upstream: the connection's button on the sign-in page, a new user
// made by the first sign-in, linking an existing account only after it signs in, and a
// failed upstream (cancelled there; unreachable) answered with the catalogue's copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectCopy, expectAccessible } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
const TENANT = 'fed';
let server, browser, upstream, catalogue, publicBase;

/// node-oidc-provider on a loopback port, its one client being IntelliAuth's connection.
async function startUpstream(callback) {
  const http = createServer();
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${http.address().port}`;
  const key = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'up' };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'intelliauth',
      client_secret: 'upstream-secret-upstream-secret-0123',
      redirect_uris: [callback],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
    }],
    // The login typed at the provider's page is the account; its email is `<login>@node.example`
    // unless the login is an address itself.
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id.includes('@') ? id : `${id}@node.example`, email_verified: true, name: `Node ${id}` }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    jwks: { keys: [key] },
  });
  http.on('request', provider.callback());
  return { issuer, close: () => http.close() };
}

before(async () => {
  server = await startServer({ args: ['--webhooks-allow-loopback', 'true'] });
  publicBase = server.base.replace('127.0.0.1', 'localhost');
  await server.tenant(TENANT);
  upstream = await startUpstream(`${publicBase}/t/${TENANT}/login/upstream/callback`);
  const created = await server.api('POST', `/v1/tenants/${TENANT}/connections`, {
    name: 'node', display_name: 'Node Provider', issuer: upstream.issuer,
    client_id: 'intelliauth', client_secret: 'upstream-secret-upstream-secret-0123',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.redirect_uri, `${publicBase}/t/${TENANT}/login/upstream/callback`);
  browser = await launch();
  catalogue = await server.catalogue();
});
after(async () => {
  await browser?.close();
  upstream?.close();
  await server?.stop();
});

/// At node-oidc-provider's development pages: sign in as `login`, then approve.
async function approveUpstream(page, login) {
  await page.waitForURL(`${upstream.issuer}/**`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  await page.waitForSelector('button[type=submit]');
  await page.click('button[type=submit]');
}

async function inFreshBrowser(name, body) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await body(page);
  } catch (error) {
    await screenshot(page, name);
    throw error;
  } finally {
    await context.close();
  }
}

test('the button signs a new user in through node-oidc-provider and the account page lists the identity', async () => {
  await inFreshBrowser('federation-new-user', async (page) => {
    await page.goto(`${publicBase}/t/${TENANT}/login`);
    const button = page.getByRole('link', { name: 'Continue with Node Provider' });
    await expectAccessible(assert, page, 'sign-in page with a connection');
    await button.click();
    await approveUpstream(page, 'grace');
    await page.waitForURL(`${publicBase}/t/${TENANT}/account`);
    assert.match(await page.textContent('#signed-in-as'), /grace@node\.example/);
    assert.equal(await page.locator('#identities li[data-identity="node"]').count(), 1);
    await expectAccessible(assert, page, 'account page with a linked identity');
  });
  const users = await server.api('GET', `/v1/tenants/${TENANT}/users?email=grace@node.example`);
  const user = users.body.data[0];
  assert.equal(user.email_verified, true);
  assert.equal(user.name, 'Node grace', 'the profile claim came through userinfo');
});

test('an existing account is linked only after its owner signs in to it', async () => {
  const userId = await server.user(TENANT, 'alan@node.example', PASSWORD);
  await inFreshBrowser('federation-link', async (page) => {
    await page.goto(`${publicBase}/t/${TENANT}/login`);
    await page.getByRole('link', { name: 'Continue with Node Provider' }).click();
    await approveUpstream(page, 'alan@node.example');
    await page.waitForURL(`${publicBase}/t/${TENANT}/login?**`);
    assert.equal(await page.inputValue('#email'), 'alan@node.example');
    assert.match(await page.textContent('[role=status]'), /Sign in to it once to link/);
    const before = await server.api('GET', `/v1/tenants/${TENANT}/users/${userId}/identities`);
    assert.deepEqual(before.body.data, [], 'nothing linked before the account signs in');
    await page.fill('#password', PASSWORD);
    await page.click('form button[type=submit]');
    await page.waitForURL(`${publicBase}/t/${TENANT}/account`);
    assert.equal(await page.locator('#identities li[data-identity="node"]').count(), 1);
  });
  const after = await server.api('GET', `/v1/tenants/${TENANT}/users/${userId}/identities`);
  assert.equal(after.body.data.length, 1);
  assert.equal(after.body.data[0].user_id, 'alan@node.example');
});

test('a sign-in cancelled at the upstream, or an upstream that cannot be reached, shows the catalogue copy', async () => {
  const dead = await server.api('POST', `/v1/tenants/${TENANT}/connections`, {
    name: 'dead', display_name: 'Gone Provider', issuer: 'http://127.0.0.1:9', client_id: 'x',
  });
  assert.equal(dead.status, 201, JSON.stringify(dead.body));
  await inFreshBrowser('federation-failed', async (page) => {
    await page.goto(`${publicBase}/t/${TENANT}/login`);
    await page.getByRole('link', { name: 'Continue with Node Provider' }).click();
    await page.waitForURL(`${upstream.issuer}/**`);
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await expectCopy(assert, page, catalogue, 'upstream_refused');
    await expectAccessible(assert, page, 'upstream_refused page');
    await page.click('#start-again');
    await page.getByRole('link', { name: 'Continue with Gone Provider' }).click();
    await expectCopy(assert, page, catalogue, 'upstream_unavailable');
  });
  await server.api('DELETE', `/v1/tenants/${TENANT}/connections/${dead.body.id}`);
});
