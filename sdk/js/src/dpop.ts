// DPoP (RFC 9449) for the SPA: a P-256 key pair made with Web Crypto whose private half can
// never be read out (non-extractable), kept in IndexedDB so reloads and other tabs sign with
// the same key — the refresh token is bound to it —; a proof for every request, and the
// server's nonce, remembered per origin.
import { base64url, randomString } from './pkce.js';

const DB = 'intelliauth-dpop';
const STORE = 'keys';

/** Opens (creating) the key store; `undefined` where IndexedDB is unavailable. */
function openStore(): Promise<IDBDatabase | undefined> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(undefined);
  });
}

function stored<T>(db: IDBDatabase, mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = act(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function generate(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
}

/** The client's key pair named `name`: the stored one, or a new one stored (or, without IndexedDB, kept in memory). */
async function keyPair(name: string, persist: boolean): Promise<CryptoKeyPair> {
  const db = persist ? await openStore() : undefined;
  if (!db) return generate();
  const existing = await stored<CryptoKeyPair | undefined>(db, 'readonly', (store) => store.get(name));
  if (existing) return existing;
  const made = await generate();
  await stored(db, 'readwrite', (store) => store.put(made, name));
  return made;
}

/** `url` without query and fragment, as `htu` (RFC 9449 §4.2). */
function htu(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Signs DPoP proofs for one client. */
export class DpopSigner {
  private readonly pair: Promise<CryptoKeyPair>;
  private readonly nonces = new Map<string, string>();

  /** The key named for this client; `persist` keeps it across reloads (IndexedDB). */
  constructor(name: string, persist: boolean) {
    this.pair = keyPair(name, persist);
  }

  private async publicJwk(): Promise<{ kty: string; crv: string; x: string; y: string }> {
    const jwk = await crypto.subtle.exportKey('jwk', (await this.pair).publicKey);
    return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
  }

  /** The key's RFC 7638 thumbprint: `dpop_jkt`, and the tokens' `cnf.jkt`. */
  async thumbprint(): Promise<string> {
    const { crv, kty, x, y } = await this.publicJwk();
    const canonical = JSON.stringify({ crv, kty, x, y });
    return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))));
  }

  /** A proof for `method` `url` (with `ath` for `accessToken`), carrying the origin's last nonce. */
  async proof(method: string, url: string, accessToken?: string): Promise<string> {
    const encode = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: await this.publicJwk() };
    const claims: Record<string, unknown> = {
      jti: randomString(16),
      htm: method.toUpperCase(),
      htu: htu(url),
      iat: Math.floor(Date.now() / 1000),
    };
    const nonce = this.nonces.get(new URL(url).origin);
    if (nonce) claims.nonce = nonce;
    if (accessToken) {
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
      claims.ath = base64url(new Uint8Array(digest));
    }
    const input = `${encode(header)}.${encode(claims)}`;
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, (await this.pair).privateKey, new TextEncoder().encode(input));
    return `${input}.${base64url(new Uint8Array(signature))}`;
  }

  /** Keeps the nonce a response from `url`'s origin sent; whether it sent one. */
  remember(url: string, response: Response): boolean {
    const nonce = response.headers.get('dpop-nonce');
    if (nonce) this.nonces.set(new URL(url).origin, nonce);
    return nonce !== null;
  }
}

/** Whether `response` asks for a fresh nonce: `use_dpop_nonce` in the body (token endpoint) or the challenge (resources). */
export async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status !== 400 && response.status !== 401) return false;
  if ((response.headers.get('www-authenticate') ?? '').includes('use_dpop_nonce')) return true;
  try {
    const body = (await response.clone().json()) as { error?: string };
    return body.error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}
