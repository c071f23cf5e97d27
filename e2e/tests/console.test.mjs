// The admin console in Chromium against the real binary: the first admin created with the
// bootstrap token and signed in through the tenant's own OIDC provider, every page free of
// axe-core violations at laptop and phone sizes, a viewer refused by the server, step-up
// before an Action is saved, a failed sign-in found by its request id with the Action's
// stack trace, a dead letter replayed from the feed, and a chart fed by real sign-ins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as OTPAuth from 'otpauth';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectAccessible } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, catalogue, receiver;
let receiverFails = true;
const received = [];

before(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      received.push(body);
      response.writeHead(receiverFails ? 503 : 204, { 'content-type': 'text/plain' });
      response.end(receiverFails ? 'receiver is down for maintenance' : '');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // One attempt and then the dead-letter queue, so the test need not wait a day.
  server = await startServer({ args: ['--webhooks-allow-loopback', 'true', '--webhook-retry-schedule', ''] });
  browser = await launch();
  catalogue = await server.catalogue();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

/** A context whose pages axe-core can be injected into (the console's CSP allows no inline script). */
const newPage = async (viewport = { width: 1280, height: 800 }) => {
  const context = await browser.newContext({ bypassCSP: true, viewport });
  return { context, page: await context.newPage() };
};

const inConsole = (url) => new URL(url).pathname.startsWith('/console');

/** Signs in to the console of `tenant` as `email` with the password, on the hosted page. */
async function signIn(page, tenant, email) {
  await page.goto(`${server.base}/console/login?tenant=${tenant}`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(inConsole), page.click('form button[type=submit]')]);
  await page.locator('main#view h1').first().waitFor();
}

/** A console view, on the origin the sign-in ended on (the server's public URL). */
async function show(page, hash, heading) {
  const origin = page.url().startsWith('http') ? new URL(page.url()).origin : server.base;
  await page.goto(`${origin}/console${hash}`);
  await page.locator('main#view h1', { hasText: heading }).waitFor();
}

/** Polls a list endpoint until it lists something (the delivery worker runs on its own). */
async function eventually(what, path) {
  const deadline = Date.now() + 20000;
  while (!(await server.api('GET', path)).body.data.length) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function expectAlert(page, code) {
  const alert = page.locator(`[role=alert][data-code="${code}"]`).first();
  await alert.waitFor({ timeout: 10000 });
  assert.equal((await alert.locator('.message').textContent()).trim(), catalogue[code].message, `${code} shows the catalogue copy`);
  return alert;
}

test('the first admin: created with the bootstrap token, signed in through OIDC, every page accessible', async () => {
  const { context, page } = await newPage();
  try {
    const signedOut = await page.goto(`${server.base}/console`);
    const policy = signedOut.headers()['content-security-policy'];
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    await expectAccessible(assert, page, 'signed out');
    await screenshot(page, 'console-signed-out');

    // A wrong token is refused with the catalogue's copy, and no admin exists.
    await page.fill('#setup-token', 'iam_wrong_token_wrong_token_wrong_token');
    await page.fill('#setup-email', 'owner@example.com');
    await page.fill('#setup-password', PASSWORD);
    await page.click('#create-admin');
    await page.locator('#setup-result [role=alert][data-code=permission_denied]').waitFor();

    await page.fill('#setup-token', server.token);
    await Promise.all([page.waitForURL('**/t/default/login**'), page.click('#create-admin')]);
    assert.equal(await page.inputValue('#email'), 'owner@example.com', 'the login hint carries the new admin');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(inConsole), page.click('form button[type=submit]')]);
    await page.locator('main#view h1', { hasText: 'Dashboard' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'ia_console');
    assert.ok(cookie.httpOnly && cookie.sameSite === 'Lax' && cookie.path === '/console', 'an HttpOnly, SameSite session cookie');
    assert.equal(await page.textContent('.role'), 'owner');

    const pages = [['#/', 'Dashboard'], ['#/users', 'Users'], ['#/applications', 'Applications'], ['#/apis', 'APIs'], ['#/roles', 'Roles'], ['#/connections', 'Connections'], ['#/actions', 'Actions'],
      ['#/webhooks', 'Webhooks'], ['#/logs', 'Logs'], ['#/tenants', 'Tenants'], ['#/settings', 'Tenant settings']];
    for (const [hash, heading] of pages) {
      await show(page, hash, heading);
      await expectAccessible(assert, page, heading);
      await screenshot(page, `console-${heading.toLowerCase().replace(/\s+/g, '-')}`);
    }
    // The first admin owns the instance's own tenant: one session manages every tenant.
    await show(page, '#/tenants', 'Tenants');
    await page.fill('input[name=id]', 'c-second');
    await page.click('button:has-text("Create tenant")');
    await page.locator('main#view h1', { hasText: 'Dashboard' }).waitFor();
    assert.equal(await page.inputValue('#switch-tenant'), 'c-second');
    await show(page, '#/users', 'Users');
    await page.fill('#view input[name=email]', 'first@second.example');
    await page.click('#create-user');
    await page.locator('main#view h1', { hasText: 'first@second.example' }).waitFor();
    assert.equal((await server.api('GET', '/v1/tenants/c-second/users')).body.data.length, 1, 'created in the tenant switched to');
    await page.fill('#switch-tenant', 'default');
    await page.click('form.switch button');
    await page.locator('main#view h1', { hasText: 'Dashboard' }).waitFor();
    await show(page, '#/settings', 'Tenant settings');

    // The branding preview is the real sign-in page with the unsaved colour.
    await page.fill('input[name="s:theme.primary_colour"]', '#0b6b3a');
    await page.waitForFunction(() => document.querySelector('iframe.preview').src.includes('0b6b3a'));
    const frame = page.frameLocator('iframe.preview');
    await frame.locator('button[type=submit]').waitFor();
    // The frame can still hold the page of its previous src for a moment: wait (bounded)
    // for the new one to paint, then look.
    await page.waitForFunction(() => {
      const button = document.querySelector('iframe.preview').contentDocument?.querySelector('button[type=submit]');
      return button && getComputedStyle(button).backgroundColor === 'rgb(11, 107, 58)';
    }, null, { timeout: 5000 }).catch(() => {});
    const colour = await frame.locator('button[type=submit]').evaluate((node) => getComputedStyle(node).backgroundColor);
    assert.equal(colour, 'rgb(11, 107, 58)', 'the preview shows the colour being edited');

    // A phone: the navigation folds behind a menu button, the page stays usable.
    await page.setViewportSize({ width: 375, height: 740 });
    await show(page, '#/users', 'Users');
    assert.equal(await page.locator('nav#nav').isVisible(), false);
    await page.click('button.menu');
    assert.equal(await page.locator('nav#nav').isVisible(), true);
    await expectAccessible(assert, page, 'users on a phone');
    await screenshot(page, 'console-phone-users');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no horizontal scrolling on a phone (${width}px)`);

    // Keyboard: the skip link is the first stop and leads to the view.
    await page.setViewportSize({ width: 1280, height: 800 });
    await show(page, '#/logs', 'Logs');
    await page.reload();
    await page.locator('main#view h1', { hasText: 'Logs' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  } finally {
    await context.close();
  }
});

test('an API, a role and an assignment made in the console: the user sees the permissions the role gives', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, 'default', 'owner@example.com');
    await show(page, '#/apis', 'APIs');
    await page.fill('#view input[name=identifier]', 'https://invoices.example.com/');
    await page.fill('#view input[name=name]', 'Invoices');
    await page.fill('#view textarea[name=permissions]', 'read:invoices Read invoices\npay:invoices Pay them');
    await page.click('#create-api');
    await page.locator('main#view h1', { hasText: 'Invoices' }).waitFor();
    assert.equal(await page.textContent('#api-identifier'), 'https://invoices.example.com/');
    await page.check('#view input[name=rbac]');
    await page.getByLabel('Signing algorithm').selectOption('RS256');
    // The page is drawn again once the server has answered: a marked button is the old one.
    await page.evaluate(() => { document.querySelector('#save-api').dataset.before = 'save'; });
    await page.click('#save-api');
    await page.locator('#save-api:not([data-before])').waitFor();
    let saved;
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      saved = (await server.api('GET', '/v1/tenants/default/apis')).body.data.find((api) => api.name === 'Invoices');
      if (saved?.rbac) break;
    }
    assert.equal(saved?.rbac, true, 'the checkbox was saved');
    assert.equal(saved?.signing_alg, 'RS256', 'the algorithm was saved');
    const published = await (await fetch(`${server.base}/t/default/.well-known/jwks.json`)).json();
    assert.ok(published.keys.some((key) => key.alg === 'RS256'), 'saving it published its keys');
    await page.locator('#view input[name=rbac]:checked').waitFor();
    assert.equal(await page.getByLabel('Signing algorithm').inputValue(), 'RS256');
    await expectAccessible(assert, page, 'API detail');

    await show(page, '#/roles', 'Roles');
    await page.fill('#view input[name=name]', 'clerk');
    await page.getByLabel('read:invoices').check();
    await page.click('#create-role');
    await page.locator('main#view h1', { hasText: 'clerk' }).waitFor();
    await expectAccessible(assert, page, 'role detail');

    const user = await server.api('POST', '/v1/tenants/default/users', { email: 'clerk@example.com' });
    await show(page, `#/users/${user.body.id}`, 'clerk@example.com');
    await page.selectOption('#view select[name=assign_role]', { label: 'clerk' });
    await page.click('#assign-role');
    await page.locator('td', { hasText: 'read:invoices' }).waitFor();
    const held = (await server.api('GET', `/v1/tenants/default/users/${user.body.id}/permissions`)).body.data;
    assert.deepEqual(held.map((p) => p.value), ['read:invoices']);
    await expectAccessible(assert, page, 'user with a role');
  } finally {
    await context.close();
  }
});

test('a connection made in the console: its redirect URI to register, its secret never shown, its button on the sign-in page', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, 'default', 'owner@example.com');
    await show(page, '#/connections', 'Connections');
    await page.fill('#view input[name=name]', 'github');
    await page.selectOption('#view select[name=kind]', 'github');
    await page.fill('#view input[name=client_id]', 'Iv1.console');
    await page.fill('#view [name=client_secret]', 'console-secret');
    await page.click('#create-connection');
    await page.locator('main#view h1', { hasText: 'GitHub' }).waitFor();
    const redirect = await page.textContent('#connection-redirect-uri');
    assert.match(redirect, /\/t\/default\/login\/upstream\/callback$/);
    assert.equal(await page.inputValue('#view input[name=client_secret]'), '', 'the stored secret is never shown');
    await expectAccessible(assert, page, 'connection detail');
    await page.fill('#view textarea[name=mapping]', 'app_metadata.github_login=login');
    await page.click('#save-connection');
    let listed = [];
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      listed = (await server.api('GET', '/v1/tenants/default/connections')).body.data;
      if (Object.keys(listed[0]?.mapping ?? {}).length) break;
    }
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].mapping, { 'app_metadata.github_login': 'login' });
    assert.equal(listed[0].client_secret_set, true);
    const origin = new URL(page.url()).origin;
    await page.goto(`${origin}/t/default/login`);
    await page.getByRole('link', { name: 'Continue with GitHub' }).waitFor();
    await server.api('DELETE', `/v1/tenants/default/connections/${listed[0].id}`);
  } finally {
    await context.close();
  }
});

test('a viewer sees the tenant and changes nothing: the server refuses, whatever sends the request', async () => {
  await server.tenant('c-viewer');
  await server.user('c-viewer', 'viewer@example.com', PASSWORD, { role: 'viewer' });
  const target = await server.user('c-viewer', 'someone@example.com', PASSWORD);
  const { context, page } = await newPage();
  try {
    await signIn(page, 'c-viewer', 'viewer@example.com');
    await show(page, `#/users/${target}`, 'someone@example.com');
    await page.click('#toggle-disabled');
    await expectAlert(page, 'permission_denied');
    await screenshot(page, 'console-viewer-refused');

    // The same change sent by hand with the viewer's session: refused by the server.
    const csrf = await page.getAttribute('meta[name=ia-csrf]', 'content');
    const direct = await page.evaluate(async ([id, token]) => {
      const response = await fetch(`/console/api/v1/tenants/c-viewer/users/${id}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ disabled: true }),
      });
      return { status: response.status, body: await response.json() };
    }, [target, csrf]);
    assert.equal(direct.status, 403);
    assert.equal(direct.body.code, 'permission_denied');
    // Without the CSRF token the change does not even reach the API.
    const forged = await page.evaluate(async (id) => {
      const response = await fetch(`/console/api/v1/tenants/c-viewer/users/${id}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }),
      });
      return { status: response.status, body: await response.json() };
    }, target);
    assert.equal(forged.body.code, 'state_mismatch');
    assert.equal((await server.api('GET', `/v1/tenants/c-viewer/users/${target}`)).body.disabled, false, 'nothing changed');
  } finally {
    await context.close();
  }
  // Without a session the console API answers session_expired, and a bearer token sent
  // along is not used.
  const anonymous = await fetch(`${server.base}/console/api/v1/tenants/c-viewer/users`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).code, 'session_expired');
});

test('step-up: saving an Action asks for the second factor, then saves the same draft', async () => {
  await server.tenant('c-stepup');
  await server.user('c-stepup', 'owner@example.com', PASSWORD, { role: 'owner' });
  // The owner has an authenticator app (self-service, through the JSON flow API).
  const flow = (await server.api('POST', '/t/c-stepup/api/login')).body.flow_id;
  const session = (await server.api('POST', `/t/c-stepup/api/login/${flow}`, { email: 'owner@example.com', password: PASSWORD })).body.session_token;
  const me = (path, body) => fetch(`${server.base}/t/c-stepup/api/${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
  }).then((r) => r.json());
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32((await me('factors/totp')).secret) });
  await me('factors/totp/confirm', { code: totp.generate() });
  const created = await server.api('POST', '/v1/tenants/c-stepup/actions',
    { name: 'Plan claim', trigger: 'post-login', code: 'exports.onExecutePostLogin = async () => {};\n' });
  const id = created.body.id;

  const { context, page } = await newPage();
  try {
    await signIn(page, 'c-stepup', 'owner@example.com');
    await show(page, `#/actions/${id}`, 'Plan claim');
    const edited = "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://example.com/plan', 'gold');\n};\n";
    await page.evaluate((code) => document.querySelector('.CodeMirror').CodeMirror.setValue(code), edited);
    await expectAccessible(assert, page, 'Action editor');
    await screenshot(page, 'console-action-editor');
    // A password-only sign-in may not change Actions: off to the second factor.
    await Promise.all([page.waitForURL('**/login/mfa**'), page.click('#save-action')]);
    await page.fill('#code', totp.generate({ timestamp: Date.now() + 30_000 }));
    await Promise.all([page.waitForURL(inConsole), page.click('form button[type=submit]')]);
    await page.locator('main#view h1', { hasText: 'Plan claim' }).waitFor();
    await page.locator('text=Save again to apply').waitFor();
    assert.equal(await page.evaluate(() => document.querySelector('.CodeMirror').CodeMirror.getValue()), edited, 'the draft survived the step-up');
    await page.click('#save-action');
    await page.locator('main#view p.muted', { hasText: 'version 2' }).waitFor();
    const stored = await server.api('GET', `/v1/tenants/c-stepup/actions/${id}`);
    assert.equal(stored.body.code, edited);
    assert.equal(stored.body.version, 2);
    // The admin change is in the tenant log, by this admin.
    const changes = await server.api('GET', '/v1/tenants/c-stepup/logs?type=admin.action.updated');
    assert.match(changes.body.data[0].actor, /^user:/);
  } finally {
    await context.close();
  }
});

test('a failed sign-in found by its request id, with the Action that failed it and its stack trace', async () => {
  await server.tenant('c-trace');
  await server.user('c-trace', 'admin@example.com', PASSWORD, { role: 'admin' });
  await server.user('c-trace', 'blocked@example.com', PASSWORD);
  await server.api('POST', '/v1/tenants/c-trace/actions', {
    name: 'Broken check', trigger: 'post-login',
    code: "exports.onExecutePostLogin = async (event) => {\n  if (event.user.email.startsWith('blocked')) {\n    throw new Error('plan lookup failed');\n  }\n};\n",
  });
  const flow = (await server.api('POST', '/t/c-trace/api/login')).body.flow_id;
  const failed = await server.api('POST', `/t/c-trace/api/login/${flow}`, { email: 'blocked@example.com', password: PASSWORD });
  assert.equal(failed.body.code, 'step_error', JSON.stringify(failed.body));
  const requestId = failed.body.request_id;

  const { context, page } = await newPage();
  try {
    await signIn(page, 'c-trace', 'admin@example.com');
    await show(page, '#/logs', 'Logs');
    await page.fill('input[name=request_id]', requestId);
    await page.click('#search-logs');
    await page.locator('main#view h1', { hasText: 'Request trace' }).waitFor();
    const failure = page.locator('.step[data-type="user.login.failed"]');
    await failure.waitFor();
    assert.match(await failure.textContent(), /step_error/);
    assert.ok((await failure.locator('.copy').textContent()).includes(catalogue.step_error.message), 'the catalogue copy');
    const executions = page.locator('#trace-executions');
    assert.match(await executions.textContent(), /Broken check v1[\s\S]*error[\s\S]*plan lookup failed/, 'the Action, its outcome and its error');
    const stack = await executions.locator('pre.stack').last().textContent();
    assert.match(stack, /at .*action\.js:3/, 'the stack trace points into the Action');
    await expectAccessible(assert, page, 'request trace');
    await screenshot(page, 'console-request-trace');
  } finally {
    await context.close();
  }
});

test('a dead letter replayed from the feed is delivered, with the troubleshooting steps beside the failure', async () => {
  await server.tenant('c-hooks');
  await server.user('c-hooks', 'admin@example.com', PASSWORD, { role: 'admin' });
  const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  const subscription = await server.api('POST', '/v1/tenants/c-hooks/webhooks/subscriptions', { url, event_types: ['user.created'] });
  assert.equal(subscription.status, 201, JSON.stringify(subscription.body));
  receiverFails = true;
  await server.user('c-hooks', 'new@example.com', PASSWORD);
  await eventually('a dead letter appears', '/v1/tenants/c-hooks/webhooks/dead-letters');

  const { context, page } = await newPage();
  try {
    await signIn(page, 'c-hooks', 'admin@example.com');
    // The page's first, unfiltered load answers after the filter below: its late rows must
    // not replace the filtered ones (this race failed CI once before the console knew it).
    let releaseFirstLoad;
    const firstLoadHeld = new Promise((resolve) => { releaseFirstLoad = resolve; });
    await page.route(/\/messages\?limit=50$/, async (route) => { await firstLoadHeld; await route.continue(); });
    await show(page, `#/webhooks/${subscription.body.id}`, url);
    await page.selectOption('select[name=outcome]', 'dlq_max_attempts');
    await page.click('form button:has-text("Filter")');
    const filtered = page.locator('[data-query*="outcome=dlq_max_attempts"]');
    await filtered.locator('table >> text=dlq_max_attempts').first().waitFor();
    const firstLoadAnswered = page.waitForResponse(/\/messages\?limit=50$/);
    releaseFirstLoad();
    await firstLoadAnswered;
    await page.unroute(/\/messages\?limit=50$/);
    assert.match(await page.locator('#view [data-query]').getAttribute('data-query'), /outcome=dlq_max_attempts/, 'the late unfiltered answer is dropped');
    await filtered.locator('button:has-text("Attempts")').first().click();
    const help = page.locator('[data-troubleshooting=receiver_5xx]');
    await help.waitFor();
    assert.match(await help.textContent(), /Fix the\s+handler/, 'the docs\u2019 steps for receiver_5xx');
    assert.match(await page.textContent('main#view'), /receiver is down for maintenance/, 'the response excerpt');
    await expectAccessible(assert, page, 'delivery feed');
    await screenshot(page, 'console-webhook-feed');

    receiverFails = false;
    await show(page, '#/webhooks', 'Webhooks');
    await page.locator('#dead-letters button[data-replay]').first().click();
    await page.locator('text=Replayed').waitFor();
    await eventually('the replayed message is delivered', `/v1/tenants/c-hooks/webhooks/subscriptions/${subscription.body.id}/messages?status=delivered`);
    // Both attempts are counted for the dashboard's deliveries chart.
    const hour = new Date(Date.now() - 3600e3).toISOString();
    const counts = (await server.api('GET', `/v1/tenants/c-hooks/log-counts?bucket=hour&from=${hour}`)).body.data;
    const attempts = Object.fromEntries(counts.filter((c) => c.type === 'webhook.attempt').map((c) => [c.code, c.count]));
    assert.deepEqual(attempts, { receiver_5xx: 1, delivered: 1 });
  } finally {
    await context.close();
  }
});

test('the dashboard charts real sign-ins and their failures by code', async () => {
  await server.tenant('c-charts');
  await server.user('c-charts', 'admin@example.com', PASSWORD, { role: 'admin' });
  await server.user('c-charts', 'user@example.com', PASSWORD);
  for (const password of [PASSWORD, 'wrong password', 'wrong again!', PASSWORD]) {
    const flow = (await server.api('POST', '/t/c-charts/api/login')).body.flow_id;
    await server.api('POST', `/t/c-charts/api/login/${flow}`, { email: 'user@example.com', password });
  }
  const { context, page } = await newPage();
  try {
    await signIn(page, 'c-charts', 'admin@example.com');
    await show(page, '#/', 'Dashboard');
    const signIns = page.locator('#chart-sign-ins');
    await signIns.waitFor();
    // Two for the user and one for the admin's own console sign-in succeeded; two failed.
    assert.equal(await signIns.getAttribute('data-total'), '5');
    assert.match(await signIns.locator('.summary').textContent(), /Failed: 2, Succeeded: 3/);
    assert.match(await page.locator('#chart-failures .summary').textContent(), /invalid_credentials: 2/);
    assert.ok(await page.locator('#chart-sign-ins canvas').evaluate((canvas) => canvas.width > 0), 'Chart.js drew the chart');
    await screenshot(page, 'console-dashboard-data');
  } finally {
    await context.close();
  }
});
