// The organization picker in Chromium, with openid-client as the application: an app that
// requires organizations sends a user in two of them to sign in; after the password the
// hosted picker lists both (axe-clean), the pick comes back
// as a code, and the ID token names the organization.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot, expectAccessible } from '../lib/browser.mjs';
import { startRedirectReceiver } from '../lib/redirect_receiver.mjs';

const PASSWORD = 'correct horse battery';
let server, browser, receiver, REDIRECT;

before(async () => {
  server = await startServer();
  browser = await launch();
  receiver = await startRedirectReceiver();
  REDIRECT = receiver.redirectUri;
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

test('openid-client: an application that requires organizations; the user picks one on the hosted page', async () => {
  const userId = await server.user('default', 'picker@example.com', PASSWORD);
  for (const [name, display_name] of [['stark', 'Stark Industries'], ['wayne', 'Wayne Enterprises']]) {
    const org = await server.api('POST', '/v1/tenants/default/organizations', { name, display_name });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    const added = await server.api('POST', `/v1/tenants/default/organizations/${org.body.id}/members`, { users: [userId] });
    assert.equal(added.status, 204, JSON.stringify(added.body));
  }
  const app = await server.api('POST', '/v1/tenants/default/applications', {
    name: 'b2b portal', client_type: 'public', redirect_uris: [REDIRECT], first_party: true, organization_usage: 'require',
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const issuer = new URL(`${server.base.replace('127.0.0.1', 'localhost')}/t/default`);
  const config = await client.discovery(issuer, app.body.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid email', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await page.goto(url.href);
    await page.fill('#email', 'picker@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/oauth\/organization\?/), page.click('form button[type=submit]')]);
    await page.getByRole('button', { name: 'Wayne Enterprises' }).waitFor();
    await expectAccessible(assert, page, 'organization picker');
    await screenshot(page, 'organization-picker');
    await Promise.all([page.waitForURL(`${REDIRECT}**`), page.getByRole('button', { name: 'Wayne Enterprises' }).click()]);
    const tokens = await client.authorizationCodeGrant(config, new URL(receiver.received.at(-1)), {
      pkceCodeVerifier: verifier, expectedState: state,
    });
    assert.equal(tokens.claims().org_name, 'wayne');
    assert.ok(tokens.claims().org_id.startsWith('org'));
  } catch (error) {
    await screenshot(page, 'organization-picker-failed').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
});

test('an invitation in Chromium: the mailed link, sign in with the invited address, join (axe-clean)', async () => {
  const org = await server.api('POST', '/v1/tenants/default/organizations', { name: 'oscorp', display_name: 'Oscorp' });
  assert.equal(org.status, 201, JSON.stringify(org.body));
  await server.user('default', 'invitee@example.com', PASSWORD);
  const invited = await server.api('POST', `/v1/tenants/default/organizations/${org.body.id}/invitations`,
    { email: 'invitee@example.com', send_email: false });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  try {
    await page.goto(invited.body.invitation_url);
    // Sent to sign in first, with the invited address filled in.
    await page.waitForURL(/\/login/);
    assert.equal(await page.inputValue('#email'), 'invitee@example.com');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/invitation\?token=/), page.click('form button[type=submit]')]);
    await page.getByRole('button', { name: 'Join' }).waitFor();
    await expectAccessible(assert, page, 'invitation');
    await screenshot(page, 'organization-invitation');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('#invitation-done').waitFor();
    assert.match(await page.textContent('#invitation-done'), /Oscorp/);
    const members = await server.api('GET', `/v1/tenants/default/organizations/${org.body.id}/members`);
    assert.equal(members.body.data.length, 1);
  } catch (error) {
    await screenshot(page, 'organization-invitation-failed').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
});
