// Text-message codes on the hosted pages, against a real local SMS gateway: a code that
// finishes the sign-in, then the gateway failing (sms_send_failed) and too many texts
// (sms_rate_limited), each with its catalogue copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectCopy } from '../lib/browser.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, catalogue, gateway;
const texts = [];
let gatewayStatus = 201;

before(async () => {
  gateway = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      texts.push(new URLSearchParams(body));
      response.writeHead(gatewayStatus, { 'content-type': 'application/json' }).end('{"sid":"SM1"}');
    });
  });
  await new Promise((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  server = await startServer({ args: ['--sms-gateway-url', `http://127.0.0.1:${gateway.address().port}/Messages.json`, '--sms-from', '+15550000000'] });
  browser = await launch();
  catalogue = await server.catalogue();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  gateway?.close();
});

const lastCode = () => texts.at(-1).get('Body').split(' ')[0];

async function submit(page, selector = 'form button[type=submit]') {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

test('hosted pages: a texted code signs in; a failing gateway and too many texts show their copy', async () => {
  await server.tenant('p-sms', { mfa: { mode: 'optional' } });
  await server.user('p-sms', 'txt@example.com', PASSWORD);
  // Enrol the phone over the JSON API as the signed-in user.
  const flow = (await server.api('POST', '/t/p-sms/api/login')).body.flow_id;
  const session = (await server.api('POST', `/t/p-sms/api/login/${flow}`, { email: 'txt@example.com', password: PASSWORD })).body.session_token;
  const me = (path, body) => fetch(`${server.base}/t/p-sms/api/${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  assert.equal((await me('factors/sms', { phone: '+14155550123' })).status, 202);
  assert.equal((await me('factors/sms/confirm', { code: lastCode() })).status, 200);

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.base}/t/p-sms/login`);
    await page.fill('#email', 'txt@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    await submit(page, '#send-sms');
    assert.match(await page.textContent('body'), /We sent a code to \+14/);
    await page.fill('#code', lastCode());
    await submit(page, 'form:has(#code) button[type=submit]');
    await page.waitForURL('**/t/p-sms/account');

    await context.clearCookies();
    await page.goto(`${server.base}/t/p-sms/login`);
    await page.fill('#email', 'txt@example.com');
    await page.fill('#password', PASSWORD);
    await submit(page);
    gatewayStatus = 500;
    await submit(page, '#send-sms');
    await expectCopy(assert, page, catalogue, 'sms_send_failed');
    await screenshot(page, 'sms_send_failed');
    gatewayStatus = 201;
    // Three texts to this phone in the window already (enrolment, sign-in, the failed one).
    await submit(page, '#send-sms');
    await expectCopy(assert, page, catalogue, 'sms_rate_limited');
    await screenshot(page, 'sms_rate_limited');
  } finally {
    await context.close();
  }
});
