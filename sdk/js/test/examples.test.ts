// The troubleshooting topics' examples (examples/*.ts, included in the docs verbatim),
// run against the real server: INTELLIAUTH_BIN must name the binary (`cargo xtask test` sets
// it; without it this file fails to load, saying so).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, IntelliAuthError, type LoginOptions } from '@intelliauth/spa-js';
import { startServer, type RunningServer } from '../../../e2e/lib/server.mjs';
import { signInWithMfa } from '../examples/handling-mfa-required.js';
import { callWithStepUp } from '../examples/step-up.js';
import { solveProofOfWork, submitWithCaptcha } from '../examples/captcha-required.js';
import { checkRedirectUri, redirectUriFor } from '../examples/invalid-redirect-uri.js';
import { fetchWithFreshToken } from '../examples/token-expired.js';
import { codeFlowTokens, totp } from './code-flow.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://localhost:3999/callback';
let server: RunningServer;

async function application(tenant: string): Promise<string> {
  const reply = await server.api('POST', `/v1/tenants/${tenant}/applications`, {
    name: 'docs', client_type: 'public', first_party: true, redirect_uris: [REDIRECT],
  });
  expect(reply.status).toBe(201);
  return reply.body.client_id as string;
}

describe('troubleshooting examples against the real server', () => {
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('Handling mfa_required: a wrong code is asked again, the right one signs in', async () => {
    await server.tenant('ex-mfa', { mfa: { mode: 'required' } });
    await server.user('ex-mfa', 'mfa@example.com', PASSWORD);
    // Enrol an authenticator over the flow API first.
    const flow = (await server.api('POST', '/t/ex-mfa/api/login')).body.flow_id;
    await server.api('POST', `/t/ex-mfa/api/login/${flow}`, { email: 'mfa@example.com', password: PASSWORD });
    const secret = (await server.api('POST', `/t/ex-mfa/api/login/${flow}/mfa/totp`)).body.secret as string;
    const enrolled = await server.api('POST', `/t/ex-mfa/api/login/${flow}/mfa`, { type: 'totp', code: totp(secret) });
    expect(enrolled.status).toBe(200);

    const prompts: Array<{ factors: string[]; previous?: string }> = [];
    const session = await signInWithMfa(`${server.base}/t/ex-mfa`, 'mfa@example.com', PASSWORD, async (factors, previous) => {
      prompts.push({ factors, previous: previous?.code });
      // The enrolment used this step's code; the next step's is accepted.
      return { type: 'totp', code: prompts.length === 1 ? '000000' : totp(secret, Math.floor(Date.now() / 1000) + 30) };
    });
    expect(session).toMatch(/^ias_s_/);
    expect(prompts).toEqual([{ factors: ['totp', 'backup_code'] }, { factors: ['totp', 'backup_code'], previous: 'totp_invalid' }]);
  });

  it('captcha_required: the proof of work is solved and the sign-in goes through', async () => {
    await server.tenant('ex-captcha', { sign_in: { captcha: { mode: 'always', pow_difficulty: 8 } } });
    await server.user('ex-captcha', 'pow@example.com', PASSWORD);
    const flow = (await server.api('POST', '/t/ex-captcha/api/login')).body.flow_id;
    const response = await submitWithCaptcha(`${server.base}/t/ex-captcha/api/login/${flow}`, { email: 'pow@example.com', password: PASSWORD });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { session_token: string }).session_token).toMatch(/^ias_s_/);
    // The solver agrees with the server's rule on a known answer.
    expect(await solveProofOfWork('abc', 4)).toMatch(/^\d+$/);
  });

  it('invalid_redirect_uri: only the exact registered URI is accepted', async () => {
    await server.tenant('ex-redirect');
    const clientId = await application('ex-redirect');
    expect(await checkRedirectUri(`${server.base}/t/ex-redirect`, clientId, redirectUriFor('http://localhost:3999'))).toEqual({ ok: true });
    const slash = await checkRedirectUri(`${server.base}/t/ex-redirect`, clientId, `${REDIRECT}/`);
    expect(slash).toEqual({ ok: false, code: 'invalid_redirect_uri', message: CATALOGUE.invalid_redirect_uri.message });
  });

  it('token_expired: the call is repeated once with a renewed token', async () => {
    // Two seconds, not one: `exp` is in whole seconds, so a one-second token renewed just
    // before a second turned over was already expired when the repeated call used it.
    await server.tenant('ex-token', { oauth: { access_token_lifetime_s: 2 } });
    await server.user('ex-token', 'exp@example.com', PASSWORD);
    const clientId = await application('ex-token');
    let tokens = await codeFlowTokens(server.base, 'ex-token', clientId, REDIRECT, 'exp@example.com', PASSWORD);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const asked: boolean[] = [];
    const response = await fetchWithFreshToken(`${server.base}/t/ex-token/oauth/userinfo`, async (force) => {
      asked.push(force);
      if (!force) return tokens.access_token;
      const refreshed = await fetch(`${server.base}/t/ex-token/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId }),
      });
      tokens = (await refreshed.json()) as typeof tokens;
      return tokens.access_token;
    });
    expect(asked).toEqual([false, true]);
    expect(((await response.json()) as { email: string }).email).toBe('exp@example.com');
  });

  it('Step-up: a password-only admin token gets the challenge, and step-up starts with it', async () => {
    await server.tenant('ex-step');
    await server.user('ex-step', 'admin@example.com', PASSWORD, { admin: true });
    const victim = await server.user('ex-step', 'leaving@example.com', PASSWORD);
    const clientId = await application('ex-step');
    const { access_token: token } = await codeFlowTokens(server.base, 'ex-step', clientId, REDIRECT, 'admin@example.com', PASSWORD);
    const started: LoginOptions[] = [];
    const url = `${server.base}/v1/tenants/ex-step/users/${victim}`;
    const error = await callWithStepUp(url, { method: 'DELETE' }, async () => token, async (options) => void started.push(options)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntelliAuthError);
    expect((error as IntelliAuthError).code).toBe('step_up_required');
    expect(started).toEqual([{ acr_values: 'urn:intelliauth:loa:2', max_age: 300, appState: { returnTo: url } }]);
  });
});
