// @intelliauth/spa-js with `dpop: true` in Chromium against the real server, through the
// example SPA: the browser's non-extractable key binds the code, the tokens and the refresh
// token; fetchWithAuth calls userinfo with the DPoP scheme and a proof (answering the nonce
// challenge itself); the same token sent as Bearer is refused; an expiry is survived by a
// refresh signed with the same key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { ensureSdkBuilt, registerApplication, startExample } from '../../examples/spa/serve.mjs';

const PASSWORD = 'correct horse battery';
const TENANT = 'sdk-dpop';
let server, browser, example, issuer;

before(async () => {
  ensureSdkBuilt();
  server = await startServer();
  browser = await launch();
  await server.tenant(TENANT, { oauth: { access_token_lifetime_s: 3 } });
  await server.user(TENANT, 'bound@example.com', PASSWORD);
  example = await startExample({ issuer: 'pending', clientId: 'pending', port: 0 });
  const origin = example.origin;
  example.server.close();
  const port = Number(new URL(origin).port);
  const clientId = await registerApplication({ server: server.base, tenant: TENANT, token: server.token, origin });
  issuer = `${server.base.replace('127.0.0.1', 'localhost')}/t/${TENANT}`;
  example = await startExample({ issuer, clientId, port, leewaySeconds: 0, dpop: true });
});

after(async () => {
  await browser?.close();
  example?.server.close();
  await server?.stop();
});

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

test('a DPoP-bound SPA: signed in, userinfo with a proof, Bearer refused, refreshed with the same key', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${example.origin}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await Promise.all([page.waitForURL(`**/t/${TENANT}/login**`), page.click('#sign-in')]);
    await page.fill('#email', 'bound@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${example.origin}/**`), page.click('form button[type=submit]')]);
    await page.waitForSelector('body[data-ready="true"]');
    const call = async () => {
      await page.evaluate(() => { document.getElementById('result').textContent = ''; document.getElementById('error').textContent = ''; });
      await page.click('#call-api');
      await page.waitForFunction(() => document.getElementById('result').textContent || document.getElementById('error').textContent);
      assert.equal(await page.textContent('#error'), '', 'no error');
      return JSON.parse(await page.textContent('#result'));
    };
    assert.equal((await call()).email, 'bound@example.com');
    const stored = () => page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('intelliauth.tokens.'));
      return JSON.parse(localStorage.getItem(key));
    });
    const first = await stored();
    const jkt = claimsOf(first.accessToken).cnf?.jkt;
    assert.ok(jkt, 'the access token is bound to the browser key');
    const bearer = await fetch(`${server.base}/t/${TENANT}/oauth/userinfo`, { headers: { authorization: `Bearer ${first.accessToken}` } });
    assert.equal(bearer.status, 401, 'a copied token is useless without the key');

    await page.waitForTimeout(3500);
    assert.equal((await call()).email, 'bound@example.com');
    const second = await stored();
    assert.notEqual(second.accessToken, first.accessToken, 'refreshed');
    assert.equal(claimsOf(second.accessToken).cnf.jkt, jkt, 'with the same key (the refresh token is bound to it)');
  } catch (error) {
    await screenshot(page, 'sdk-dpop').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
});
