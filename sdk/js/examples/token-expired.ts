// token_expired: the access token's exp passed. Never show it; renew the token and repeat
// the call once. (`client.fetchWithAuth` does exactly this.)
import { errorFromResponse } from '@intelliauth/spa-js';

/**
 * Calls `url` with a bearer token from `getToken`; on a 401 `token_expired` asks for a
 * fresh token (`getToken(true)`, e.g. `client.getTokenSilently({ cacheMode: 'off' })`)
 * and repeats the call once. Any other failure is thrown as IntelliAuthError.
 */
export async function fetchWithFreshToken(url: string, getToken: (forceRenewal: boolean) => Promise<string>): Promise<Response> {
  const call = async (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });
  let response = await call(await getToken(false));
  if (response.status === 401) {
    const error = await errorFromResponse(response.clone());
    if (error.code !== 'token_expired') throw error;
    response = await call(await getToken(true));
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}
