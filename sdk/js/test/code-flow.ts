// The authorization code flow driven with plain fetch, as a browser would (cookies, the
// hosted login form), for tests that need a real user's tokens outside a browser.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
}

async function get(url: string, cookies: string[]): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: { accept: 'text/html', cookie: cookies.join('; ') } });
}

export async function codeFlowTokens(
  base: string,
  tenant: string,
  clientId: string,
  redirectUri: string,
  email: string,
  password: string,
): Promise<Tokens> {
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const authorize = new URL(`${base}/t/${tenant}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid email offline_access',
    state: 'st', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  const cookies: string[] = [];
  const toLogin = await get(authorize.href, cookies);
  const login = toLogin.headers.get('location')!;
  const resume = new URL(login, base).searchParams.get('return_to')!;
  const started = await get(new URL(login, base).href, cookies);
  cookies.push(...cookiesOf(started));
  const form = new URL(started.headers.get('location')!, base).href;
  const page = await (await get(form, cookies)).text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;
  const signedIn = await fetch(form, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams({ csrf_token: csrf, email, password }),
  });
  cookies.push(...cookiesOf(signedIn));
  const back = await get(new URL(resume, base).href, cookies);
  const code = new URL(back.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.status} ${back.headers.get('location')}`);
  const exchanged = await fetch(`${base}/t/${tenant}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId }),
  });
  if (!exchanged.ok) throw new Error(`token exchange failed: ${await exchanged.text()}`);
  return (await exchanged.json()) as Tokens;
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), for answering MFA steps in tests. */
export function totp(secretBase32: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const hash = createHmac('sha1', key).update(counter).digest();
  const offset = hash[19]! & 0xf;
  const value = (hash.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}
