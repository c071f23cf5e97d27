// The hosted pages in each language, in Chromium: a browser set to French, German or
// Arabic gets every page in its language (`lang`, and `dir="rtl"` for Arabic), with the
// catalogue's copy translated, axe-core finding nothing; OIDC `ui_locales` outranks the
// browser's language for the whole sign-in; and the SDK asks for a locale. Screenshots of
// every page in every locale are kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectAccessible } from '../lib/browser.mjs';
import { ensureSdkBuilt } from '../../examples/spa/serve.mjs';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../sdk/js/dist/', import.meta.url));

const PASSWORD = 'correct horse battery';
const TENANT = 'lang';
let server, browser;

// What each locale calls the pages (from its catalogue), and its wrong-password copy.
const LOCALES = {
  en: { browser: 'en-US', dir: 'ltr', login: 'Sign in', register: 'Create your account', forgot: 'Forgot your password?', account: 'Your account', invalid: 'The email or password is incorrect.', reset: 'Choose a new password', signOut: 'Sign out', mfa: "Verify it's you" },
  fr: { browser: 'fr-FR', dir: 'ltr', login: 'Connexion', register: 'Créez votre compte', forgot: 'Mot de passe oublié ?', account: 'Votre compte', invalid: "L'adresse e-mail ou le mot de passe est incorrect.", reset: 'Choisissez un nouveau mot de passe', signOut: 'Déconnexion', mfa: 'Confirmez votre identité' },
  de: { browser: 'de-DE', dir: 'ltr', login: 'Anmelden', register: 'Konto erstellen', forgot: 'Passwort vergessen?', account: 'Ihr Konto', invalid: 'E-Mail-Adresse oder Passwort ist falsch.', reset: 'Neues Passwort wählen', signOut: 'Abmelden', mfa: 'Bestätigen Sie, dass Sie es sind' },
  ar: { browser: 'ar', dir: 'rtl', login: 'تسجيل الدخول', register: 'أنشئ حسابك', forgot: 'هل نسيت كلمة المرور؟', account: 'حسابك', invalid: 'البريد الإلكتروني أو كلمة المرور غير صحيحة.', reset: 'اختر كلمة مرور جديدة', signOut: 'تسجيل الخروج', mfa: 'تأكيد هويتك' },
};

before(async () => {
  server = await startServer();
  browser = await launch();
  // A branded tenant: axe checks the pages in the tenant's colours.
  await server.tenant(TENANT, { theme: { name: 'Polyglot', primary_colour: '#0b6b3a' } });
  await server.user(TENANT, 'polyglot@example.com', PASSWORD);
  // A tenant that requires a second factor: its MFA page in each language.
  await server.tenant(`${TENANT}-mfa`, { mfa: { mode: 'required' } });
  await server.user(`${TENANT}-mfa`, 'second@example.com', PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function inContext(options, body) {
  const context = await browser.newContext({ bypassCSP: true, ...options });
  const page = await context.newPage();
  try {
    await body(page);
  } finally {
    await context.close();
  }
}

async function expectPage(page, locale, title, label) {
  const expected = LOCALES[locale];
  assert.equal(await page.getAttribute('html', 'lang'), locale, `${label}: lang`);
  assert.equal(await page.getAttribute('html', 'dir'), expected.dir, `${label}: dir`);
  assert.equal((await page.textContent('h1')).trim(), title, `${label}: heading`);
  await expectAccessible(assert, page, label);
  await screenshot(page, `locale-${locale}-${label}`);
}

for (const [locale, expected] of Object.entries(LOCALES)) {
  test(`a ${expected.browser} browser gets every page in ${locale}`, async () => {
    await inContext({ locale: expected.browser }, async (page) => {
      await page.goto(`${server.base}/t/${TENANT}/register`);
      await expectPage(page, locale, expected.register, 'register');
      await page.goto(`${server.base}/t/${TENANT}/forgot`);
      await expectPage(page, locale, expected.forgot, 'forgot');
      await page.goto(`${server.base}/t/${TENANT}/reset?token=from-a-mail`);
      await expectPage(page, locale, expected.reset, 'reset');
      await page.goto(`${server.base}/t/${TENANT}/oauth/logout`);
      await expectPage(page, locale, expected.signOut, 'sign-out');
      await page.goto(`${server.base}/t/${TENANT}-mfa/login`);
      await page.fill('#email', 'second@example.com');
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL('**/login/mfa**'), page.click('form button[type=submit]')]);
      await expectPage(page, locale, expected.mfa, 'mfa-enrolment');
      await page.goto(`${server.base}/t/${TENANT}/login`);
      await expectPage(page, locale, expected.login, 'login');

      // A wrong password: the catalogue's copy, translated, in the alert.
      await page.fill('#email', 'polyglot@example.com');
      await page.fill('#password', 'not the password');
      await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
      const alert = page.locator('[role=alert][data-code="invalid_credentials"] .copy');
      assert.equal((await alert.textContent()).trim(), expected.invalid);
      await expectPage(page, locale, expected.login, 'login-invalid_credentials');

      await page.fill('#email', 'polyglot@example.com');
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL('**/account'), page.click('form button[type=submit]')]);
      await expectPage(page, locale, expected.account, 'account');
    });
  });
}

test('ui_locales outranks the browser for the whole sign-in', async () => {
  await inContext({ locale: 'fr-FR' }, async (page) => {
    await page.goto(`${server.base}/t/${TENANT}/login?ui_locales=de`);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    // The flow's next page (a failed attempt) is still German in a French browser.
    await page.fill('#email', 'polyglot@example.com');
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal((await page.locator('[role=alert] .copy').textContent()).trim(), LOCALES.de.invalid);
  });
});

test('the SDK asks for its locale: ui_locales on the authorization request', async () => {
  ensureSdkBuilt();
  const application = await server.api('POST', `/v1/tenants/${TENANT}/applications`, {
    name: 'spa', client_type: 'public', first_party: true, redirect_uris: [`${server.base}/callback`],
  });
  assert.equal(application.status, 201);
  await inContext({ locale: 'en-US' }, async (page) => {
    // The built SDK, served on the server's origin for this page only.
    await page.route(`${server.base}/app/**`, (route) => {
      const path = new URL(route.request().url()).pathname.slice('/app/'.length);
      if (path === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>app</title>' });
      return route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(dist, normalize(path))) });
    });
    await page.goto(`${server.base}/app/index.html`);
    const url = await page.evaluate(async ({ issuer, clientId, redirectUri }) => {
      const { createIntelliAuthClient } = await import('/app/index.js');
      return createIntelliAuthClient({ issuer, clientId, redirectUri, uiLocales: 'ar fr' }).buildAuthorizeUrl();
    }, { issuer: `${server.base}/t/${TENANT}`, clientId: application.body.client_id, redirectUri: `${server.base}/callback` });
    assert.equal(new URL(url).searchParams.get('ui_locales'), 'ar fr', url);
    await page.goto(url);
    await page.waitForURL('**/login**');
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl', 'the sign-in page speaks the SDK\'s first locale');
  });
});

test('every page and the docs fit a 320 px screen with 24 px touch targets; the error page wears the brand', async () => {
  await inContext({ locale: 'en-US', viewport: { width: 320, height: 640 } }, async (page) => {
    const paths = [
      `/t/${TENANT}/login`, `/t/${TENANT}/register`, `/t/${TENANT}/forgot`,
      '/docs', '/docs/reference/error-codes', '/docs/reference/management-api', '/docs/troubleshooting/step-up', '/docs/languages',
    ];
    for (const path of paths) {
      await page.goto(`${server.base}${path}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 320, `${path} scrolls sideways at 320 px (${width} px wide)`);
      const small = await page.evaluate(() => [...document.querySelectorAll('nav a, button, input:not([type=hidden])')]
        .map((element) => ({ text: element.textContent.trim() || element.id, height: element.getBoundingClientRect().height }))
        .filter((target) => target.height > 0 && target.height < 24));
      assert.deepEqual(small, [], `${path}: touch targets under 24 px`);
      await screenshot(page, `320px${path.replaceAll('/', '-')}`);
    }

    // An error about a tenant's page: the tenant's brand and language, and a way back in.
    const answer = await page.goto(`${server.base}/t/${TENANT}/no-such-page`);
    assert.equal(answer.status(), 404);
    assert.equal((await page.textContent('header')).trim(), 'Polyglot', 'the tenant\'s brand');
    assert.equal((await page.locator('[role=alert] .copy').textContent()).trim(), 'Not found.');
    assert.match(await page.title(), /^Error: /);
    const back = page.locator(`a[href="/t/${TENANT}/login"]`);
    assert.equal(await back.count(), 1, 'a link to the tenant\'s sign-in page, not to /');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320);
    await expectAccessible(assert, page, 'branded error page');
    await screenshot(page, 'error-page-branded');
  });
});
