// captcha_required over the JSON flow API with the built-in proof-of-work provider: solve
// the challenge in details.challenge and send the same credentials again with the answer.
import { IntelliAuthError, errorFromResponse } from '@intelliauth/spa-js';

/** The smallest counter whose SHA-256 of `nonce:counter` starts with `difficulty` zero bits. */
export async function solveProofOfWork(nonce: string, difficulty: number): Promise<string> {
  const encoder = new TextEncoder();
  for (let counter = 0; ; counter++) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${nonce}:${counter}`)));
    let zeros = 0;
    for (const byte of digest) {
      if (byte === 0) {
        zeros += 8;
        continue;
      }
      zeros += Math.clz32(byte) - 24;
      break;
    }
    if (zeros >= difficulty) return String(counter);
  }
}

/** Submits a sign-in step; when it needs a captcha, solves it and submits once more. */
export async function submitWithCaptcha(flowUrl: string, body: Record<string, unknown>): Promise<Response> {
  const send = (extra: Record<string, unknown> = {}) =>
    fetch(flowUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, ...extra }) });
  const first = await send();
  if (first.ok) return first;
  const error = await errorFromResponse(first);
  if (error.code !== 'captcha_required') throw error;
  const challenge = error.details.challenge as { id: string; nonce: string; difficulty: number } | undefined;
  if (error.details.provider !== 'proof_of_work' || !challenge) {
    // A siteverify provider (hCaptcha, Turnstile): render its widget with details.site_key instead.
    throw error;
  }
  const solution = await solveProofOfWork(challenge.nonce, challenge.difficulty);
  const second = await send({ captcha: `${challenge.id}:${solution}` });
  if (!second.ok) throw await errorFromResponse(second);
  return second;
}

export function isCaptchaRequired(error: unknown): error is IntelliAuthError {
  return error instanceof IntelliAuthError && error.code === 'captcha_required';
}
