// The hosted pages in Chromium: each sign-in failure shows the catalogue's copy, a whole
// account life (register, verify, sign in, forget, reset) works in the browser, and
// registering from an application's sign-in page ends at the application.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { startSmtp } from '../lib/smtp.mjs';
import { launch, screenshot, expectCopy, expectAccessible } from '../lib/browser.mjs';
import { startRedirectReceiver } from '../lib/redirect_receiver.mjs';
import { createHash, randomBytes } from 'node:crypto';

const PASSWORD = 'correct horse battery';
let server, smtp, browser, catalogue;

before(async () => {
  smtp = await startSmtp();
  server = await startServer({ args: ['--smtp-url', smtp.url] });
  browser = await launch();
  catalogue = await server.catalogue();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

/// Runs `body` in a fresh browser; the state it ends in must be accessible (axe-core,
/// WCAG 2.1 A/AA and best practices; the context lets axe's script in).
async function withPage(name, body) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await body(page);
    await expectAccessible(assert, page, name);
  } finally {
    await screenshot(page, name).catch(() => {});
    await context.close();
  }
}

/// Waits (a little) for the focus to land on the element `id`, and says where it is if not.
async function focusLandsOn(page, id) {
  const landed = await page.waitForFunction((wanted) => document.activeElement?.id === wanted, id, { timeout: 5000 })
    .then(() => true, () => false);
  assert.ok(landed, `focus on #${id}, not on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`);
}

async function submit(page, selector = 'form button[type=submit]') {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

async function signIn(page, tenant, email, password) {
  await page.goto(`${server.base}/t/${tenant}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await submit(page);
}

test('a wrong password and an unknown email both show invalid_credentials', async () => {
  await server.tenant('p-invalid');
  await server.user('p-invalid', 'ada@example.com', PASSWORD);
  await withPage('invalid_credentials', async (page) => {
    await signIn(page, 'p-invalid', 'ada@example.com', 'not the password');
    await expectCopy(assert, page, catalogue, 'invalid_credentials');
    assert.equal(await page.inputValue('#email'), 'ada@example.com', 'the email is kept');
    await signIn(page, 'p-invalid', 'nobody@example.com', PASSWORD);
    await expectCopy(assert, page, catalogue, 'invalid_credentials');
  });
});

test('keyboard only: a failed sign-in lands focus on the error, which the title and the fields point at', async () => {
  await server.tenant('p-keys');
  await server.user('p-keys', 'keys@example.com', PASSWORD);
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await page.goto(`${server.base}/t/p-keys/login`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
    await page.keyboard.type('keys@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
    // `autofocus` moves the focus at the page's first rendering, just after its load event.
    await focusLandsOn(page, 'error-summary');
    assert.match(await page.title(), /^Error: Sign in · /);
    for (const field of ['#email', '#password']) {
      assert.equal(await page.getAttribute(field, 'aria-invalid'), 'true', field);
      assert.equal(await page.getAttribute(field, 'aria-describedby'), 'error-summary', field);
    }
    assert.equal(await page.locator('[role=alert]').count(), 1, 'one alert holds the error');
    await expectAccessible(assert, page, 'login after a failure');
    // On from the summary, the keyboard reaches the form again.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
    await screenshot(page, 'keyboard-failed-sign-in');
  } finally {
    await context.close();
  }
});

test('a disabled account shows account_disabled', async () => {
  await server.tenant('p-disabled');
  const id = await server.user('p-disabled', 'off@example.com', PASSWORD);
  await server.api('PATCH', `/v1/tenants/p-disabled/users/${id}`, { disabled: true });
  await withPage('account_disabled', async (page) => {
    await signIn(page, 'p-disabled', 'off@example.com', PASSWORD);
    await expectCopy(assert, page, catalogue, 'account_disabled');
  });
});

test('too many failures show account_locked with the time to wait', async () => {
  await server.tenant('p-locked', { sign_in: { lockout_threshold: 2, lockout_duration_s: 300 } });
  await server.user('p-locked', 'locked@example.com', PASSWORD);
  await withPage('account_locked', async (page) => {
    for (let i = 0; i < 2; i++) {
      await signIn(page, 'p-locked', 'locked@example.com', `wrong ${i}`);
      await expectCopy(assert, page, catalogue, 'invalid_credentials');
    }
    await signIn(page, 'p-locked', 'locked@example.com', PASSWORD);
    await expectCopy(assert, page, catalogue, 'account_locked');
    assert.match(await page.textContent('#retry-after'), /try again in about 5 minutes/);
  });
});

test('an unverified email shows email_unverified and offers a resend', async () => {
  await server.tenant('p-unverified', { sign_in: { require_verified_email: true } });
  await server.user('p-unverified', 'late@example.com', PASSWORD, { email_verified: false });
  await withPage('email_unverified', async (page) => {
    await signIn(page, 'p-unverified', 'late@example.com', PASSWORD);
    await expectCopy(assert, page, catalogue, 'email_unverified');
    await submit(page, 'form[action$="/verify/resend"] button');
    assert.match(await page.textContent('[role=status]'), /new link is on its way/);
    const link = await smtp.link('late@example.com', '/t/p-unverified/verify?token=');
    await page.goto(link);
    assert.match(await page.textContent('[role=status]'), /verified/);
    await signIn(page, 'p-unverified', 'late@example.com', PASSWORD);
    assert.match(await page.textContent('#signed-in-as'), /late@example.com/);
  });
});

test('a forced reset shows password_must_be_reset on the new-password step', async () => {
  await server.tenant('p-reset');
  const id = await server.user('p-reset', 'flagged@example.com', PASSWORD);
  await server.api('PATCH', `/v1/tenants/p-reset/users/${id}`, { must_reset_password: true });
  await withPage('password_must_be_reset', async (page) => {
    await signIn(page, 'p-reset', 'flagged@example.com', PASSWORD);
    assert.match(page.url(), /\/t\/p-reset\/reset\?flow=/);
    await expectCopy(assert, page, catalogue, 'password_must_be_reset');
    await page.fill('#password', 'a much better password');
    await submit(page);
    assert.match(await page.textContent('[role=status]'), /password has been changed/);
    await signIn(page, 'p-reset', 'flagged@example.com', 'a much better password');
    assert.match(await page.textContent('#signed-in-as'), /flagged@example.com/);
  });
});

test('captcha mode always: the check is ready with the page, so the first submit signs in', async () => {
  await server.tenant('p-captcha', { sign_in: { captcha: { mode: 'always', pow_difficulty: 10 } } });
  await server.user('p-captcha', 'human@example.com', PASSWORD);
  await withPage('captcha_always', async (page) => {
    await page.goto(`${server.base}/t/p-captcha/login`);
    await page.locator('#captcha-status', { hasText: 'Browser check complete.' }).waitFor({ timeout: 20000 });
    assert.match(await page.inputValue('#captcha'), /^cap_.+:\d+$/);
    await page.fill('#email', 'human@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    assert.match(await page.textContent('#signed-in-as'), /human@example.com/);
  });
});

test('captcha_required after failures says why in the alert and keeps what was typed', async () => {
  await server.tenant('p-captcha-late', { sign_in: { captcha: { mode: 'after_failures', account_failures: 1, ip_failures: 100, pow_difficulty: 10 } } });
  await server.user('p-captcha-late', 'late@example.com', PASSWORD);
  await withPage('captcha_required', async (page) => {
    await signIn(page, 'p-captcha-late', 'late@example.com', 'not the password');
    await expectCopy(assert, page, catalogue, 'invalid_credentials');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await expectCopy(assert, page, catalogue, 'captcha_required');
    assert.equal(await page.inputValue('#email'), 'late@example.com', 'the email is kept');
    assert.equal(await page.inputValue('#password'), PASSWORD, 'so is the password: nothing was wrong with it');
    await focusLandsOn(page, 'error-summary');
    await page.locator('#captcha-status', { hasText: 'Browser check complete.' }).waitFor({ timeout: 20000 });
    await submit(page);
    assert.match(await page.textContent('#signed-in-as'), /late@example.com/);
  });
});

test('an expired flow shows flow_expired and a way to start again', async () => {
  await server.tenant('p-expired', { sign_in: { flow_lifetime_s: 1 } });
  await server.user('p-expired', 'slow@example.com', PASSWORD);
  await withPage('flow_expired', async (page) => {
    await page.goto(`${server.base}/t/p-expired/login`);
    await page.fill('#email', 'slow@example.com');
    await page.fill('#password', PASSWORD);
    await page.waitForTimeout(1300);
    await submit(page);
    await expectCopy(assert, page, catalogue, 'flow_expired');
    await Promise.all([page.waitForEvent('load'), page.click('#start-again')]);
    assert.ok(await page.isVisible('#email'), 'a fresh sign-in form');
  });
});

test('an unknown or finished flow shows flow_invalid', async () => {
  await server.tenant('p-invalid-flow');
  await server.user('p-invalid-flow', 'once@example.com', PASSWORD);
  await withPage('flow_invalid', async (page) => {
    await page.goto(`${server.base}/t/p-invalid-flow/login`);
    const used = page.url();
    await page.goto(`${server.base}/t/p-invalid-flow/login?flow=flw_made_up`);
    await expectCopy(assert, page, catalogue, 'flow_invalid');
    // Finish the real flow, then post it again from its old page.
    await page.goto(used);
    await page.fill('#email', 'once@example.com');
    await page.fill('#password', PASSWORD);
    const form = await page.evaluate(() => document.querySelector('form').outerHTML);
    await submit(page);
    assert.match(await page.textContent('#signed-in-as'), /once@example.com/);
    await page.setContent(form.replace('action="/', `action="${server.base}/`));
    await page.fill('#email', 'once@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await expectCopy(assert, page, catalogue, 'flow_invalid');
  });
});

test('a forged form shows state_mismatch and a clear restart path', async () => {
  await server.tenant('p-csrf');
  await server.user('p-csrf', 'victim@example.com', PASSWORD);
  await withPage('state_mismatch', async (page) => {
    await page.goto(`${server.base}/t/p-csrf/login`);
    await page.evaluate(() => { document.querySelector('[name=csrf_token]').value = 'forged-by-another-site'; });
    await page.fill('#email', 'victim@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await expectCopy(assert, page, catalogue, 'state_mismatch');
    assert.ok(await page.isVisible('#start-again'));
  });
});

test('register, verify by mail, sign in, forget the password, reset it by mail, sign in again', async () => {
  await server.tenant('p-journey', { sign_in: { require_verified_email: true }, theme: { name: 'Journey Co', primary_colour: '#0b7a53' } });
  await withPage('journey', async (page) => {
    await page.goto(`${server.base}/t/p-journey/register`);
    assert.match(await page.title(), /Journey Co/, 'the tenant theme names the page');
    await page.fill('#email', 'traveller@example.com');
    await page.fill('#name', 'Tra Veller');
    await page.fill('#password', PASSWORD);
    await submit(page);
    assert.match(await page.textContent('[role=status]'), /Check your inbox/);

    await page.goto(await smtp.link('traveller@example.com', '/t/p-journey/verify?token='));
    assert.match(await page.textContent('[role=status]'), /verified/);

    await signIn(page, 'p-journey', 'traveller@example.com', PASSWORD);
    assert.match(await page.textContent('#signed-in-as'), /traveller@example.com/);
    await submit(page, 'form[action$="/logout"] button');
    assert.ok(await page.isVisible('#password'), 'signed out, back at sign-in');

    await page.click('a[href$="/forgot"]');
    await page.waitForSelector('#email');
    await page.fill('#email', 'traveller@example.com');
    await submit(page);
    assert.match(await page.textContent('[role=status]'), /we've sent it a link/);

    await page.goto(await smtp.link('traveller@example.com', '/t/p-journey/reset?token='));
    await page.fill('#password', 'a new and better secret');
    await submit(page);
    assert.match(await page.textContent('[role=status]'), /password has been changed/);

    await signIn(page, 'p-journey', 'traveller@example.com', PASSWORD);
    await expectCopy(assert, page, catalogue, 'invalid_credentials');
    await signIn(page, 'p-journey', 'traveller@example.com', 'a new and better secret');
    assert.match(await page.textContent('#signed-in-as'), /traveller@example.com/);
  });
});

test('a new user registers from an application\'s sign-in page, verifies by mail and lands at the application', async () => {
  await server.tenant('p-signup', { sign_in: { require_verified_email: true } });
  const receiver = await startRedirectReceiver();
  const app = await server.api('POST', '/v1/tenants/p-signup/applications', {
    name: 'shop', client_type: 'public', redirect_uris: [receiver.redirectUri], first_party: true,
  });
  assert.equal(app.status, 201);
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${server.base}/t/p-signup/oauth/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: app.body.client_id, redirect_uri: receiver.redirectUri, scope: 'openid email',
    state: 'signup-state', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) authorize.searchParams.set(name, value);
  try {
    await withPage('register-from-an-application', async (page) => {
      await page.goto(authorize.href);
      await Promise.all([page.waitForSelector('#name'), page.click('a[href*="/register"]')]);
      await page.fill('#email', 'newcomer@example.com');
      await page.fill('#name', 'New Comer');
      await page.fill('#password', PASSWORD);
      await submit(page);
      assert.match(await page.textContent('[role=status]'), /Check your inbox/);

      await page.goto(await smtp.link('newcomer@example.com', '/t/p-signup/verify?token='));
      assert.match(await page.textContent('[role=status]'), /verified/);
      await Promise.all([page.waitForSelector('#password'), page.click('#sign-in-after-verify')]);
      await page.fill('#email', 'newcomer@example.com');
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(`${receiver.redirectUri}**`), page.click('form button[type=submit]')]);
      const callback = new URL(receiver.received.at(-1));
      assert.equal(callback.searchParams.get('state'), 'signup-state');
      const code = callback.searchParams.get('code');
      assert.ok(code, `a code for the application: ${callback}`);
      const tokens = await fetch(`${server.base}/t/p-signup/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: receiver.redirectUri, client_id: app.body.client_id, code_verifier: verifier }),
      }).then((response) => response.json());
      const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
      assert.equal(claims.email, 'newcomer@example.com');
      await page.goto(`${server.base}/t/p-signup/account`);
    });
  } finally {
    receiver.close();
  }
});
