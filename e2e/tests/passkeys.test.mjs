// Passkeys in Chromium with the DevTools virtual authenticator: enrol one, use it as the
// second factor and as a passwordless sign-in on the hosted pages, then see webauthn_failed
// when the account no longer has the credential the authenticator offers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import * as OTPAuth from 'otpauth';
import { launch, screenshot, expectCopy } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, catalogue, origin;

before(async () => {
  server = await startServer();
  browser = await launch();
  catalogue = await server.catalogue();
  // WebAuthn needs a domain: the server's public URL is http://localhost:<port>.
  origin = server.base.replace('127.0.0.1', 'localhost');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function submit(page, selector = 'form button[type=submit]') {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

/// A page whose browser has a platform authenticator (the DevTools virtual one) that holds
/// discoverable credentials and verifies the user. `autofill: false` is a browser without
/// passkey autofill (conditional mediation), which has the sign-in page's links instead.
async function withAuthenticator({ autofill = true } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (!autofill) await page.addInitScript(() => { PublicKeyCredential.isConditionalMediationAvailable = async () => false; });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page };
}

/// Creates a credential in the page's authenticator for the server's registration options.
async function createCredential(page, options) {
  return page.evaluate(async (publicKey) => {
    const fromB64 = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const toB64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    publicKey.challenge = fromB64(publicKey.challenge);
    publicKey.user.id = fromB64(publicKey.user.id);
    for (const c of publicKey.excludeCredentials || []) c.id = fromB64(c.id);
    const credential = await navigator.credentials.create({ publicKey });
    return {
      id: credential.id, rawId: toB64(credential.rawId), type: credential.type, extensions: {},
      response: { attestationObject: toB64(credential.response.attestationObject), clientDataJSON: toB64(credential.response.clientDataJSON) },
    };
  }, options.publicKey);
}

test('a passkey enrolled in Chromium signs in as a second factor and passwordless, and a removed one is webauthn_failed', async () => {
  await server.tenant('p-passkey', { mfa: { mode: 'optional' } });
  await server.user('p-passkey', 'key@example.com', PASSWORD);
  const { context, page } = await withAuthenticator({ autofill: false });
  try {
    // Signed in with the password (no factor yet), the user adds a passkey.
    const flow = (await server.api('POST', '/t/p-passkey/api/login')).body.flow_id;
    const signedIn = await server.api('POST', `/t/p-passkey/api/login/${flow}`, { email: 'key@example.com', password: PASSWORD });
    const session = signedIn.body.session_token;
    const me = (path, body) => fetch(`${server.base}/t/p-passkey/api/${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const started = await me('factors/webauthn');
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await page.goto(`${origin}/t/p-passkey/login`);
    const credential = await createCredential(page, started.body.options);
    const confirmed = await me('factors/webauthn/confirm', { ceremony_id: started.body.ceremony_id, credential });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.backup_codes.length, 10);

    // Second factor: after the password the page asks the authenticator by itself.
    await page.goto(`${origin}/t/p-passkey/login`);
    await page.fill('#email', 'key@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await page.waitForURL('**/t/p-passkey/account');

    // Passwordless: the discoverable credential names the user.
    await context.clearCookies();
    await page.goto(`${origin}/t/p-passkey/login`);
    await Promise.all([page.waitForURL('**/login/passkey**'), page.click('#use-passkey')]);
    await page.waitForURL('**/t/p-passkey/account');

    // The account drops the passkey; the authenticator still offers it.
    const users = await server.api('GET', '/v1/tenants/p-passkey/users');
    const reset = await server.api('DELETE', `/v1/tenants/p-passkey/users/${users.body.data[0].id}/factors`);
    assert.equal(reset.status, 204);
    await context.clearCookies();
    await page.goto(`${origin}/t/p-passkey/login`);
    await Promise.all([page.waitForURL('**/login/passkey**'), page.click('#use-passkey')]);
    await expectCopy(assert, page, catalogue, 'webauthn_failed');
    assert.ok(await page.locator('#use-password').isVisible(), 'another way to sign in is offered');
    await screenshot(page, 'webauthn_failed');
  } finally {
    await context.close();
  }
});

test('passkey autofill: the sign-in form offers the passkey beside the password and signs in with it', async () => {
  await server.tenant('p-autofill', { mfa: { mode: 'optional' } });
  await server.user('p-autofill', 'autofill@example.com', PASSWORD);
  const { context, page } = await withAuthenticator();
  try {
    const flow = (await server.api('POST', '/t/p-autofill/api/login')).body.flow_id;
    const session = (await server.api('POST', `/t/p-autofill/api/login/${flow}`, { email: 'autofill@example.com', password: PASSWORD })).body.session_token;
    const me = (path, body) => fetch(`${server.base}/t/p-autofill/api/${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const started = await me('factors/webauthn');
    await page.goto(`${origin}/t/p-autofill/forgot`);
    assert.ok(await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable()), 'Chromium offers autofill');
    const credential = await createCredential(page, started.body.options);
    assert.equal((await me('factors/webauthn/confirm', { ceremony_id: started.body.ceremony_id, credential })).status, 200);

    const form = await (await context.request.get(`${origin}/t/p-autofill/login`)).text();
    assert.match(form, /id="email"[^>]*autocomplete="username webauthn"/, 'the email field offers passkeys');
    assert.match(form, /id="use-passkey"/, 'and the link stays, for browsers without autofill');

    // The virtual authenticator answers the page's conditional request as a person picking
    // the passkey in the email field's suggestions: signed in, no password typed.
    await context.clearCookies();
    await page.goto(`${origin}/t/p-autofill/login`);
    await page.waitForURL('**/t/p-autofill/account', { timeout: 15000 });
    assert.match(await page.textContent('#signed-in-as'), /autofill@example.com/);
  } finally {
    await context.close();
  }
});

test('the account page adds an authenticator app and a passkey, lists them and removes one', async () => {
  await server.tenant('p-account', { mfa: { mode: 'optional' } });
  await server.user('p-account', 'self@example.com', PASSWORD);
  const { context, page } = await withAuthenticator();
  try {
    await page.goto(`${origin}/t/p-account/login`);
    await page.fill('#email', 'self@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await page.waitForURL('**/t/p-account/account');
    // A passkey, created on the hosted page.
    await Promise.all([page.waitForURL('**/account/passkey'), page.click('#add-passkey')]);
    await page.waitForSelector('#backup-codes');
    assert.equal(await page.locator('#backup-codes li').count(), 10);
    await submit(page, '#continue').catch(() => page.click('#continue'));
    await page.waitForURL('**/t/p-account/account');
    assert.equal(await page.locator('#factors li[data-factor=webauthn]').count(), 1);
    // A wrong first code, then a right one, for an authenticator app.
    await Promise.all([page.waitForURL('**/account/totp'), page.click('#add-totp')]);
    const secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#code', '000000');
    await submit(page);
    await expectCopy(assert, page, catalogue, 'totp_invalid');
    await page.fill('#code', new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate());
    await submit(page);
    await page.waitForURL('**/t/p-account/account');
    assert.equal(await page.locator('#factors li').count(), 2);
    // Remove the authenticator app; the passkey stays.
    await submit(page, '#factors li[data-factor=totp] button');
    assert.equal(await page.locator('#factors li').count(), 1);
    assert.equal(await page.locator('#factors li[data-factor=webauthn]').count(), 1);
  } finally {
    await context.close();
  }
});
