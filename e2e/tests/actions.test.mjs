// Actions on the hosted pages in Chromium: a deny, a timeout and a throw each show their
// catalogue copy (and nothing of the trace); an unmodified OIDC client receives the claims
// an Action set, after the MFA step `api.multifactor.enable` forced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { decodeJwt } from 'jose';
import { startServer } from '../lib/server.mjs';
import { relyingParty } from '../lib/rp.mjs';
import { launch, screenshot, expectCopy } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, catalogue;

before(async () => {
  server = await startServer();
  browser = await launch();
  catalogue = await server.catalogue();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function action(tenant, name, code, trigger = 'post-login') {
  const reply = await server.api('POST', `/v1/tenants/${tenant}/actions`, { name, trigger, code });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

async function signIn(page, tenant, email) {
  await page.goto(`${server.base}/t/${tenant}/login`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
}

test('hosted sign-in: a deny, a timeout and a throw show their catalogue copy and no trace', async () => {
  await server.tenant('p-act', { actions: { timeout_ms: 500 } });
  await server.user('p-act', 'ada@example.com', PASSWORD);
  const steps = [
    ['step_blocked', "exports.onExecutePostLogin = async (event, api) => api.access.deny('contractor');"],
    ['step_timeout', 'exports.onExecutePostLogin = async () => { while (true) {} };'],
    ['step_error', "exports.onExecutePostLogin = async () => {\n  throw new Error('secret internals');\n};"],
  ];
  let previous = null;
  for (const [code, source] of steps) {
    if (previous) await server.api('DELETE', `/v1/tenants/p-act/actions/${previous}`);
    previous = (await action('p-act', `shows ${code}`, source)).id;
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, 'p-act', 'ada@example.com');
      await expectCopy(assert, page, catalogue, code);
      const html = await page.content();
      assert.ok(!html.includes('secret internals') && !html.includes('action.js'), 'no trace on the page');
      assert.ok(await page.locator('#email').isVisible(), 'the user can try again');
      assert.equal((await context.cookies()).filter((c) => c.name.includes('session')).length, 0, 'no session');
      await screenshot(page, code);
    } finally {
      await context.close();
    }
  }
});

test('hosted registration: a pre-user-registration deny shows step_blocked', async () => {
  await server.tenant('p-act-reg');
  await action('p-act-reg', 'invite only', "exports.onExecutePreUserRegistration = async (e, api) => api.access.deny('closed');", 'pre-user-registration');
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.base}/t/p-act-reg/register`);
    await page.fill('#email', 'new@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
    await expectCopy(assert, page, catalogue, 'step_blocked');
  } finally {
    await context.close();
  }
});

test('openid-client: multifactor.enable forces MFA, then the Action\'s claims are in both tokens', async () => {
  await server.tenant('oidc-act', { mfa: { mode: 'off' } });
  await server.user('oidc-act', 'bob@example.com', PASSWORD);
  await action('oidc-act', 'MFA for staff, with roles', `exports.onExecutePostLogin = async (event, api) => {
  if (event.authentication.methods.length < 2) api.multifactor.enable('any');
  api.idToken.setCustomClaim('https://example.com/roles', ['staff']);
  api.accessToken.setCustomClaim('https://example.com/tenant', event.tenant.id);
};`);

  const rp = await relyingParty(server, 'oidc-act', 'act-spa');
  const authorization = await rp.authorization();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(authorization.url);
    await page.fill('#email', 'bob@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
    // The tenant has MFA off; the Action asked for it, so the user enrols first.
    await expectCopy(assert, page, catalogue, 'mfa_enrolment_required');
    const secret = (await page.textContent('#totp-secret')).trim();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    await page.fill('#code', totp.generate());
    await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
    // Backup codes are shown once; continuing goes back to the client.
    await Promise.all([page.waitForURL(`${rp.redirect}**`), page.click('#continue')]);
    const tokens = await authorization.finish();
    const claims = tokens.claims();
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.deepEqual(claims['https://example.com/roles'], ['staff']);
    assert.equal(decodeJwt(tokens.access_token)['https://example.com/tenant'], 'oidc-act');
  } finally {
    await context.close();
    rp.close();
  }
});
