// The mapping of responses, redirects and fetch failures onto IntelliAuthError, the
// helpers of the catalogue's two patterns, and the retry logic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  ERROR_CODES,
  IntelliAuthError,
  backoffDelay,
  errorFromRedirect,
  errorFromResponse,
  fetchOrNetworkError,
  shouldRetry,
  userMessage,
  withRetry,
  type ErrorCode,
} from '../src/index.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('the generated code union', () => {
  it('holds the 45 codes of the seed document, the webhook observations and the upstream sign-in codes beyond it', () => {
    const seed = readFileSync(new URL('../../../crates/catalogue/tests/data/error-code-index.txt', import.meta.url), 'utf8');
    const inSeed = new Set<string>();
    for (const line of seed.split('\n')) {
      const match = /^([a-z][a-z0-9_]+?)(?=["(A-Z]|$)/.exec(line.trim());
      if (match && match[1]!.includes('_') && !line.startsWith('Code')) inSeed.add(match[1]!);
    }
    // Codes that have no underscore in their name.
    for (const single of ['conflict']) if (seed.includes(`\n${single}"`)) inSeed.add(single);
    expect(inSeed.size).toBe(45);
    expect(new Set(ERROR_CODES.filter((code) => CATALOGUE[code].inSeed))).toEqual(inSeed);
    const beyond = ERROR_CODES.filter((code) => !CATALOGUE[code].inSeed);
    expect(beyond).toEqual(['delivered', 'receiver_unexpected_status', 'receiver_connection_failed', 'receiver_dns_failed', 'receiver_address_forbidden', 'attempt_interrupted',
      'upstream_refused', 'upstream_unavailable', 'upstream_response_invalid', 'upstream_email_unverified', 'upstream_email_missing', 'link_required', 'last_sign_in_method',
      'authorization_pending', 'slow_down', 'expired_token', 'access_denied', 'invalid_dpop_proof', 'use_dpop_nonce',
      'organization_membership_required']);
    for (const code of beyond.slice(0, 6)) expect(CATALOGUE[code].family).toBe('webhook');
    for (const code of beyond.slice(6)) expect(['authentication', 'management', 'authorization']).toContain(CATALOGUE[code].family);
    for (const code of ERROR_CODES) expect(CATALOGUE[code].code).toBe(code);
  });
});

describe('errorFromResponse', () => {
  it('keeps the catalogue code, message, details and request id of a server error', async () => {
    const error = await errorFromResponse(
      json(423, { code: 'account_locked', message: 'Too many failed attempts. Try again in a few minutes.', details: { retry_after_s: 287 }, request_id: 'r-1' }),
    );
    expect(error).toBeInstanceOf(IntelliAuthError);
    expect([error.code, error.family, error.status, error.requestId]).toEqual(['account_locked', 'authentication', 423, 'r-1']);
    expect(error.retryAfterSeconds).toBe(287);
  });

  it('puts Retry-After into details.retry_after_s', async () => {
    const error = await errorFromResponse(json(429, { code: 'rate_limited', message: 'x', details: {} }, { 'retry-after': '7' }));
    expect(error.details.retry_after_s).toBe(7);
  });

  it('maps an RFC 6749 error without a catalogue code', async () => {
    const error = await errorFromResponse(json(400, { error: 'invalid_grant', error_description: 'expired' }));
    expect(error.code).toBe('invalid_grant');
  });

  it('reads a step-up challenge from WWW-Authenticate', async () => {
    const challenge = 'Bearer realm="intelliauth", error="insufficient_user_authentication", acr_values="urn:intelliauth:loa:2", max_age=300';
    const error = await errorFromResponse(new Response('', { status: 401, headers: { 'www-authenticate': challenge } }));
    expect([error.code, error.details.acr_values, error.details.max_age]).toEqual(['step_up_required', 'urn:intelliauth:loa:2', 300]);
  });

  it('falls back on the status for a body that is not ours', async () => {
    expect((await errorFromResponse(new Response('<html>bad gateway</html>', { status: 502 }))).code).toBe('service_unavailable');
    expect((await errorFromResponse(new Response('', { status: 500 }))).code).toBe('server_error');
    const error = await errorFromResponse(new Response('', { status: 429, headers: { 'retry-after': '3' } }));
    expect([error.code, error.retryAfterSeconds]).toEqual(['rate_limited', 3]);
  });
});

describe('errorFromRedirect', () => {
  it('prefers the catalogue code the server adds to the RFC error', () => {
    const error = errorFromRedirect(new URLSearchParams('error=login_required&catalogue_error=silent_auth_failed&state=s'));
    expect(error?.code).toBe('silent_auth_failed');
  });
  it('carries an Action\'s step and reason', () => {
    const error = errorFromRedirect(new URLSearchParams('error=access_denied&catalogue_error=step_blocked&step_id=act_1&step_name=Roles&reason=no%20access&state=s'));
    expect([error?.code, error?.family, error?.details.step, error?.details.reason]).toEqual(['step_blocked', 'action', { id: 'act_1', name: 'Roles' }, 'no access']);
  });
  it('names the refused scopes of invalid_scope', () => {
    const error = errorFromRedirect(new URLSearchParams('error=invalid_scope&catalogue_error=invalid_scope&refused_scopes=admin%20billing&state=s'));
    expect([error?.code, error?.details.scopes]).toEqual(['invalid_scope', ['admin', 'billing']]);
  });
  it('reads the catalogue code only under catalogue_error, never under a name ending in code', () => {
    expect(errorFromRedirect(new URLSearchParams('error=login_required&code=silent_auth_failed'))?.code).toBe('silent_auth_failed');
    expect(errorFromRedirect(new URLSearchParams('error=login_required&error_code=step_error'))?.code).toBe('silent_auth_failed');
  });
  it('maps a bare RFC error, and is null without one', () => {
    expect(errorFromRedirect(new URLSearchParams('error=access_denied'))?.code).toBe('consent_required');
    expect(errorFromRedirect(new URLSearchParams('error=interaction_required'))?.code).toBe('silent_auth_failed');
    expect(errorFromRedirect(new URLSearchParams('code=abc&state=s'))).toBeNull();
  });
});

describe('network failures', () => {
  it('become network_error', async () => {
    // Port 1 on loopback refuses the connection.
    const error = await fetchOrNetworkError('http://127.0.0.1:1/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntelliAuthError);
    expect((error as IntelliAuthError).code).toBe('network_error');
    expect((error as IntelliAuthError).message).toBe(CATALOGUE.network_error.message);
  });
});

describe('userMessage and shouldRetry', () => {
  it('shows catalogue copy, generic copy for codes not meant for users, and overrides', () => {
    expect(userMessage(new IntelliAuthError('invalid_credentials'))).toBe('The email or password is incorrect.');
    expect(userMessage(new IntelliAuthError('mfa_required'))).toBe(CATALOGUE.server_error.message);
    const overrides = { invalid_credentials: 'E-Mail oder Passwort ist falsch.' };
    expect(userMessage(new IntelliAuthError('invalid_credentials'), overrides)).toBe('E-Mail oder Passwort ist falsch.');
    const locked = new IntelliAuthError('account_locked', undefined, { retry_after_s: 125 });
    expect(userMessage(locked)).toBe('Too many failed attempts. Try again in 3 minutes.');
    expect(userMessage(locked, { account_locked: (e) => `wait ${e.retryAfterSeconds}s` })).toBe('wait 125s');
  });

  it('retries exactly the transient codes', () => {
    const retried = ERROR_CODES.filter((code: ErrorCode) => shouldRetry(new IntelliAuthError(code)));
    expect(retried.sort()).toEqual(['network_error', 'server_error', 'service_unavailable', 'silent_auth_failed']);
    expect(shouldRetry(new Error('not ours'))).toBe(false);
  });
});

describe('withRetry', () => {
  it('backs off exponentially with full jitter and then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new IntelliAuthError('service_unavailable'));
    };
    const outcome = await withRetry(failing, {
      retries: 3,
      baseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
    }).catch((e: unknown) => e);
    expect((outcome as IntelliAuthError).code).toBe('service_unavailable');
    expect(calls).toBe(4);
    expect(waits).toEqual([50, 100, 200]);
  });

  it('honours Retry-After over the backoff, capped', async () => {
    expect(backoffDelay(0, new IntelliAuthError('rate_limited', undefined, { retry_after_s: 2 }))).toBe(2000);
    expect(backoffDelay(0, new IntelliAuthError('rate_limited', undefined, { retry_after_s: 600 }), { maxDelayMs: 5000 })).toBe(5000);
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new IntelliAuthError('rate_limited', undefined, { retry_after_s: 1 });
        return 'done';
      },
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect([value, waits]).toEqual(['done', [1000]]);
  });

  it('does not retry what a retry cannot fix', async () => {
    let calls = 0;
    await withRetry(async () => {
      calls++;
      throw new IntelliAuthError('invalid_credentials');
    }).catch(() => undefined);
    expect(calls).toBe(1);
  });
});

describe('userMessage for Actions', () => {
  it('gives the catalogue copy of step_blocked, step_timeout and step_error, as the hosted pages do', () => {
    for (const code of ['step_blocked', 'step_timeout', 'step_error'] as const) {
      expect(userMessage(new IntelliAuthError(code))).toBe(CATALOGUE[code].message);
    }
    expect(userMessage(new IntelliAuthError('server_error'))).toBe(CATALOGUE.server_error.message);
  });
});
