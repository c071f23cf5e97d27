// Step-up: an API (IntelliAuth's management API, or yours) answers a sign-in that is too
// weak or too old with step_up_required and an RFC 9470 challenge. Send the user through
// sign-in again with the challenge's acr_values and max_age, then repeat the call.
import { IntelliAuthError, errorFromResponse, type LoginOptions } from '@intelliauth/spa-js';

/** What to ask the authorization server for, from a `step_up_required` error. */
export function stepUpOptions(error: IntelliAuthError, returnTo: string): LoginOptions {
  return {
    acr_values: error.details.acr_values ?? 'urn:intelliauth:loa:2',
    max_age: error.details.max_age,
    appState: { returnTo },
  };
}

/**
 * Calls `url` with the user's access token. On `step_up_required` it starts step-up (the
 * page leaves; after the callback, repeat the call) and rethrows; other errors are thrown
 * as IntelliAuthError. (`client.fetchWithAuth` does this for you; this is the same logic
 * for another HTTP client.)
 */
export async function callWithStepUp(
  url: string,
  init: RequestInit,
  getToken: () => Promise<string>,
  startStepUp: (options: LoginOptions) => Promise<void>,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await getToken()}`);
  const response = await fetch(url, { ...init, headers });
  if (response.ok) return response;
  const error = await errorFromResponse(response);
  if (error.code === 'step_up_required') await startStepUp(stepUpOptions(error, url));
  throw error;
}
