// MFA on the hosted pages in Chromium, with codes from an independent TOTP implementation
// (the `otpauth` package): enrolment when the tenant requires it, the backup codes, each
// failure's catalogue copy, and an unmodified OIDC client receiving amr ["pwd", "otp"].
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { startServer } from '../lib/server.mjs';
import { relyingParty } from '../lib/rp.mjs';
import { launch, screenshot, expectCopy, expectAccessible } from '../lib/browser.mjs';

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

const totpFor = (secret) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });

async function submit(page, selector = 'form button[type=submit]') {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

async function passwordStep(page, tenant, email) {
  await page.goto(`${server.base}/t/${tenant}/login`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await submit(page);
}

test('hosted pages: enrol an authenticator, keep the backup codes, sign in with one once', async () => {
  await server.tenant('p-mfa', { mfa: { mode: 'required' } });
  await server.user('p-mfa', 'mfa@example.com', PASSWORD);
  // axe-core checks each state the MFA pages pass through (its script needs the CSP bypassed).
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  let codes;
  try {
    await passwordStep(page, 'p-mfa', 'mfa@example.com');
    await expectCopy(assert, page, catalogue, 'mfa_enrolment_required');
    await expectAccessible(assert, page, 'MFA enrolment');
    assert.ok(await page.locator('#totp-qr svg').isVisible(), 'a QR code to scan');
    const secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#code', '000000');
    await submit(page);
    await expectCopy(assert, page, catalogue, 'totp_invalid');
    await expectAccessible(assert, page, 'totp_invalid');
    await page.fill('#code', totpFor(secret).generate());
    await submit(page);
    codes = await page.locator('#backup-codes li').allTextContents();
    assert.equal(codes.length, 10, 'ten backup codes, shown once');
    await expectAccessible(assert, page, 'backup codes');
    await screenshot(page, 'mfa-backup-codes');
    await submit(page, '#continue').catch(() => page.click('#continue'));
    await page.waitForURL('**/t/p-mfa/account');
  } finally {
    await context.close();
  }

  const again = await browser.newContext();
  const second = await again.newPage();
  try {
    await passwordStep(second, 'p-mfa', 'mfa@example.com');
    assert.ok(await second.locator('#code').isVisible(), 'the MFA page, not its copy');
    // A user with an authenticator app and backup codes is offered those, and no phone or passkey.
    assert.equal(await second.locator('#use-sms').count(), 0, 'no phone to text');
    assert.equal(await second.locator('#use-passkey').count(), 0, 'no passkey');
    assert.equal(await second.getAttribute('#code', 'inputmode'), 'numeric', 'a phone shows its keypad');
    assert.equal(await second.getAttribute('#code', 'autocomplete'), 'one-time-code');
    await Promise.all([second.waitForEvent('load'), second.click('#use-backup-code')]);
    await second.fill('#code', codes[0].trim());
    await submit(second);
    await second.waitForURL('**/t/p-mfa/account');
  } finally {
    await again.close();
  }

  const third = await browser.newContext();
  const reuse = await third.newPage();
  try {
    await passwordStep(reuse, 'p-mfa', 'mfa@example.com');
    await Promise.all([reuse.waitForEvent('load'), reuse.click('#use-backup-code')]);
    await reuse.fill('#code', codes[0].trim());
    await submit(reuse);
    await expectCopy(assert, reuse, catalogue, 'backup_code_invalid');
    assert.equal((await reuse.textContent('#single-use')).trim(), 'Each backup code works only once.');
    await screenshot(reuse, 'backup_code_invalid');
  } finally {
    await third.close();
  }
});

test('openid-client: password + TOTP ends with amr ["pwd", "otp"] and a multi-factor acr', async () => {
  await server.tenant('oidc-mfa', { mfa: { mode: 'required' } });
  await server.user('oidc-mfa', 'two@example.com', PASSWORD);
  // Enrol over the JSON flow API first.
  const flow = (await server.api('POST', '/t/oidc-mfa/api/login')).body.flow_id;
  const challenge = await server.api('POST', `/t/oidc-mfa/api/login/${flow}`, { email: 'two@example.com', password: PASSWORD });
  assert.equal(challenge.body.code, 'mfa_enrolment_required');
  const enrolment = await server.api('POST', `/t/oidc-mfa/api/login/${flow}/mfa/totp`);
  const totp = totpFor(enrolment.body.secret);
  const enrolled = await server.api('POST', `/t/oidc-mfa/api/login/${flow}/mfa`, { type: 'totp', code: totp.generate() });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));

  const rp = await relyingParty(server, 'oidc-mfa', 'mfa-spa');
  const authorization = await rp.authorization({ scope: 'openid email' });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(authorization.url);
    await page.fill('#email', 'two@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    // The enrolment used this step's code; the next step's is accepted (one step of drift).
    await page.fill('#code', totp.generate({ timestamp: Date.now() + 30_000 }));
    await Promise.all([page.waitForURL(`${rp.redirect}**`), page.click('form button[type=submit]')]);
    const tokens = await authorization.finish();
    const claims = tokens.claims();
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.equal(claims.acr, 'urn:intelliauth:loa:2');
  } finally {
    await context.close();
    rp.close();
  }
});

test('step-up: acr_values=loa:2 takes a password-only session through the MFA step and raises acr', async () => {
  await server.tenant('step-up');
  await server.user('step-up', 'up@example.com', PASSWORD, { admin: true });
  const victim = await server.user('step-up', 'leaving@example.com', PASSWORD);
  const rp = await relyingParty(server, 'step-up', 'step-up-spa');
  assert.ok(rp.config.serverMetadata().acr_values_supported.includes('urn:intelliauth:loa:2'));
  async function codeFlow(page, extra) {
    const authorization = await rp.authorization(extra);
    const flow = {
      go: () => page.goto(authorization.url),
      finish: async () => {
        flow.tokens = await authorization.finish();
        return flow.tokens;
      },
    };
    return flow;
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // A password-only sign-in: acr loa:1.
    const first = await codeFlow(page, {});
    await first.go();
    await page.fill('#email', 'up@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${rp.redirect}**`), page.click('form button[type=submit]')]);
    const weak = (await first.finish()).claims();
    assert.equal(weak.acr, 'urn:intelliauth:loa:1');
    assert.deepEqual(weak.amr, ['pwd']);
    const weakToken = first.tokens.access_token;

    // A tenant admin's own token works on the management API, but a sensitive operation
    // answers an RFC 9470 challenge while the sign-in is single-factor.
    const manage = (token, method, path, body) => fetch(`${server.base}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
    });
    const listed = await manage(weakToken, 'GET', '/v1/tenants/step-up/users');
    assert.equal(listed.status, 200, 'reading needs no step-up');
    const refused = await manage(weakToken, 'DELETE', `/v1/tenants/step-up/users/${victim}`);
    assert.equal(refused.status, 401);
    const challenge = refused.headers.get('www-authenticate');
    assert.match(challenge, /error="insufficient_user_authentication"/);
    assert.match(challenge, /acr_values="urn:intelliauth:loa:2"/);
    assert.match(challenge, /max_age=300/);
    const body = await refused.json();
    assert.equal(body.code, 'step_up_required');
    assert.equal(body.details.acr_values, 'urn:intelliauth:loa:2');
    const policy = await manage(weakToken, 'PATCH', '/v1/tenants/step-up', { settings: { mfa: { mode: 'required' } } });
    assert.equal((await policy.json()).code, 'step_up_required', 'changing the MFA policy is sensitive too');
    const otherTenant = await manage(weakToken, 'GET', '/v1/tenants/default/users');
    assert.equal(otherTenant.status, 403, 'an admin reaches only their own tenant');

    // The signed-in user adds an authenticator (self-service, with the browser's session).
    const session = (await context.cookies()).find((cookie) => cookie.name === 'ia_session').value;
    const me = (method, path, body) => fetch(`${server.base}/t/step-up/api/${path}`, {
      method, headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const enrolment = await me('POST', 'factors/totp');
    const totp = totpFor(enrolment.body.secret);
    assert.equal((await me('POST', 'factors/totp/confirm', { code: totp.generate() })).status, 200);

    // The client asks for multi-factor assurance: no password again, just the second factor.
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a later auth_time, in whole seconds
    const second = await codeFlow(page, { acr_values: 'urn:intelliauth:loa:2' });
    await second.go();
    assert.ok(page.url().includes('/login/mfa'), `the MFA step, not the password: ${page.url()}`);
    assert.equal(await page.locator('#password').count(), 0);
    await page.fill('#code', totp.generate({ timestamp: Date.now() + 30_000 }));
    await Promise.all([page.waitForURL(`${rp.redirect}**`), page.click('form button[type=submit]')]);
    const strong = (await second.finish()).claims();
    assert.equal(strong.acr, 'urn:intelliauth:loa:2');
    assert.deepEqual(strong.amr, ['pwd', 'otp']);
    assert.ok(strong.auth_time > weak.auth_time, 'auth_time is the step-up time');
    const deleted = await manage(second.tokens.access_token, 'DELETE', `/v1/tenants/step-up/users/${victim}`);
    assert.equal(deleted.status, 204, 'after step-up the sensitive operation goes through');

    // Once no longer an admin, the same strong token gets permission_denied.
    const users = (await server.api('GET', '/v1/tenants/step-up/users')).body.data;
    const admin = users.find((u) => u.email === 'up@example.com');
    assert.equal((await server.api('PATCH', `/v1/tenants/step-up/users/${admin.id}`, { admin: false })).status, 200);
    const demoted = await manage(second.tokens.access_token, 'GET', '/v1/tenants/step-up/users');
    assert.equal(demoted.status, 403);
    assert.equal((await demoted.json()).details.reason, 'not_a_tenant_admin');
  } finally {
    await context.close();
    rp.close();
  }
});
