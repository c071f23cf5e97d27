// invalid_redirect_uri is a configuration error: the redirect_uri your app sends must equal,
// character for character, one the application registered. This check asks the server.
import { errorFromResponse } from '@intelliauth/spa-js';

export type RedirectCheck =
  | { ok: true }
  | { ok: false; code: string; message: string; registered?: string };

/**
 * Asks the authorization endpoint whether it accepts `redirectUri` for `clientId`: a
 * rejected one is an error answer there, never a redirect.
 */
export async function checkRedirectUri(tenantUrl: string, clientId: string, redirectUri: string): Promise<RedirectCheck> {
  const url = new URL(`${tenantUrl}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'redirect-check',
  }).toString();
  const response = await fetch(url, { redirect: 'manual', headers: { accept: 'application/json' } });
  if (response.status >= 300 && response.status < 400) return { ok: true };
  const error = await errorFromResponse(response);
  return { ok: false, code: error.code, message: error.message };
}

/** The redirect URI a SPA usually means: its origin plus `/callback`, exactly as registered. */
export function redirectUriFor(origin: string, path = '/callback'): string {
  return new URL(path, origin).href;
}
