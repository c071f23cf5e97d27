// Signing in over the JSON flow API (a native app, or your own sign-in UI) when the
// account has a second factor: mfa_required is not shown, it starts the second step.
import { IntelliAuthError, errorFromResponse } from '@intelliauth/spa-js';

export interface SecondFactorAnswer {
  type: 'totp' | 'sms' | 'backup_code';
  code: string;
}

/**
 * Signs in with email and password and, if the server answers `mfa_required`, with a
 * second factor from `askForCode` (which shows the factors the user enrolled). Resolves
 * to the session token.
 */
export async function signInWithMfa(
  tenantUrl: string, // e.g. https://id.example.com/t/acme
  email: string,
  password: string,
  askForCode: (factors: string[], previous?: IntelliAuthError) => Promise<SecondFactorAnswer>,
): Promise<string> {
  const post = async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${tenantUrl}/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorFromResponse(response);
    return (await response.json()) as Record<string, unknown>;
  };

  const { flow_id: flowId } = await post('login');
  try {
    const signedIn = await post(`login/${flowId}`, { email, password });
    return String(signedIn.session_token);
  } catch (error) {
    if (!(error instanceof IntelliAuthError) || error.code !== 'mfa_required') throw error;
    // details.flow_id continues this sign-in; details.factors lists what the user enrolled.
    const flow = String(error.details.flow_id);
    const factors = error.details.factors as string[];
    let previous: IntelliAuthError | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await askForCode(factors, previous);
      try {
        const signedIn = await post(`login/${flow}/mfa`, answer);
        return String(signedIn.session_token);
      } catch (wrong) {
        // A mistyped code may be entered again; wrong codes count towards the lockout.
        const retryable = wrong instanceof IntelliAuthError && ['totp_invalid', 'backup_code_invalid'].includes(wrong.code);
        if (!retryable) throw wrong;
        previous = wrong;
      }
    }
    throw previous!;
  }
}
