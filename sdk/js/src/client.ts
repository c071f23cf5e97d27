// The SPA client: sign-in with redirect (authorization code + PKCE S256, state, nonce),
// tokens kept fresh with rotating refresh tokens (one refresh at a time, across tabs) or
// `prompt=none`, bearer calls that refresh on `token_expired` and step up on
// `step_up_required`, and RP-initiated logout.
import {
  IntelliAuthError,
  errorFromRedirect,
  errorFromResponse,
  fetchOrNetworkError,
  isIntelliAuthError,
  withRetry,
} from './errors.js';
import { DpopSigner, asksForNonce } from './dpop.js';
import { challengeFor, decodeJwtClaims, randomString } from './pkce.js';
import { type TokenCache, type CachedTokens, LocalStorageCache, MemoryCache, withLock } from './storage.js';

export interface IntelliAuthClientOptions {
  /** The tenant's issuer, e.g. `https://id.example.com/t/acme`. */
  issuer?: string;
  /** Instead of `issuer`: the server (`id.example.com` or a URL) and `tenant` (default `default`). */
  domain?: string;
  tenant?: string;
  clientId: string;
  redirectUri: string;
  /** Default `openid profile email offline_access` (offline_access gives a refresh token). */
  scope?: string;
  /** The API access tokens are for (its identifier): tokens carry it as `aud`, with its permissions. */
  audience?: string;
  /** The organization (id or name) every sign-in is for, unless `loginWithRedirect` names one. */
  organization?: string;
  /** Where `logout()` returns to, unless it is given one. */
  postLogoutRedirectUri?: string;
  /** A token this close to expiry (seconds) is renewed first. Default 60. */
  leewaySeconds?: number;
  /** `localstorage` (default: tabs share tokens) or `memory` (gone on reload). */
  cacheLocation?: 'localstorage' | 'memory';
  /** How long a `prompt=none` attempt may take. Default 10 s. */
  silentTimeoutMs?: number;
  /**
   * The catalogue's programmatic response to a session that cannot be renewed silently
   * (`session_expired`, `session_revoked`, `silent_auth_failed`) or that needs the user's
   * approval (`consent_required`): start `loginWithRedirect()` from `getTokenSilently()` and
   * `fetchWithAuth()` (the error is still thrown, as the page is leaving). Default false:
   * the app decides (the example app turns it on).
   */
  redirectWhenSignInNeeded?: boolean;
  /**
   * The languages the sign-in pages and the server's error messages should speak, most
   * wanted first (BCP 47 tags, space-separated, e.g. `fr-CA fr`): sent as OIDC `ui_locales`
   * and as `Accept-Language` on the SDK's own calls. Default: the browser's languages.
   */
  uiLocales?: string;
  /** Further attempts of idempotent calls (discovery, GET/HEAD/PUT/DELETE/OPTIONS through
   * `fetchWithAuth`) after a `network_error`, with backoff. Default 2. */
  networkRetries?: number;
  /**
   * Bind tokens to a key this browser holds (DPoP, RFC 9449): a non-extractable P-256 key
   * made with Web Crypto, kept in IndexedDB (in memory with `cacheLocation: 'memory'`); the
   * code, the tokens and the refresh token are bound to it, and `fetchWithAuth` sends
   * `Authorization: DPoP` with a proof. A stolen token is useless without the key. Default false.
   */
  dpop?: boolean;
}

/** Codes whose programmatic response is an interactive sign-in. */
const SIGN_IN_NEEDED = ['session_expired', 'session_revoked', 'silent_auth_failed', 'consent_required'];
const IDEMPOTENT = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];

export interface LoginOptions {
  /** Space-separated ACRs; `urn:intelliauth:loa:2` asks for multi-factor. */
  acr_values?: string;
  /** Seconds since the last sign-in beyond which the user signs in again. */
  max_age?: number;
  prompt?: 'none' | 'login' | 'consent' | string;
  login_hint?: string;
  /** Sign in through this connection (an upstream identity provider, by name), skipping the sign-in page. */
  connection?: string;
  /** This sign-in's languages (OIDC `ui_locales`), over the client's `uiLocales`. */
  ui_locales?: string;
  scope?: string;
  /** This sign-in's API (its identifier), over the client's `audience`. */
  audience?: string;
  /** Sign in to this organization (its id or name); tokens then carry `org_id`. */
  organization?: string;
  redirectUri?: string;
  /** Handed back by `handleRedirectCallback()`: where in the app to return, say. */
  appState?: unknown;
}

export interface RedirectResult {
  appState?: unknown;
}

export interface GetTokenOptions {
  /** `off` renews even if the cached token is still valid. */
  cacheMode?: 'on' | 'off';
}

export interface LogoutOptions {
  returnTo?: string;
}

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
}

/** What `loginWithRedirect` remembers until the callback. */
interface Transaction {
  verifier: string;
  nonce: string;
  redirectUri: string;
  scope: string;
  appState?: unknown;
}

const TRANSACTION_PREFIX = 'intelliauth.tx.';
const DEFAULT_SCOPE = 'openid profile email offline_access';

function issuerOf(options: IntelliAuthClientOptions): string {
  if (options.issuer) return options.issuer.replace(/\/+$/, '');
  if (!options.domain) throw new TypeError('createIntelliAuthClient needs issuer or domain');
  const base = /^https?:\/\//.test(options.domain) ? options.domain : `https://${options.domain}`;
  return `${base.replace(/\/+$/, '')}/t/${options.tenant ?? 'default'}`;
}

function samePage(url: string, target: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(target);
    return a.origin === b.origin && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

function stateMismatch(reason: string): IntelliAuthError {
  return new IntelliAuthError('state_mismatch', undefined, { reason });
}

export class IntelliAuthClient {
  readonly issuer: string;
  private readonly options: IntelliAuthClientOptions;
  private readonly cache: TokenCache;
  private metadata?: Promise<Metadata>;
  private renewal?: Promise<string>;
  private leaving = false;
  /** With `dpop`: the key that signs this client's proofs. */
  private readonly dpop?: DpopSigner;

  constructor(options: IntelliAuthClientOptions) {
    if (!options.clientId || !options.redirectUri) throw new TypeError('createIntelliAuthClient needs clientId and redirectUri');
    this.options = options;
    this.issuer = issuerOf(options);
    const key = `intelliauth.tokens.${this.issuer}.${options.clientId}`;
    this.cache = options.cacheLocation === 'memory' ? new MemoryCache() : new LocalStorageCache(key);
    if (options.dpop) this.dpop = new DpopSigner(`${this.issuer} ${options.clientId}`, options.cacheLocation !== 'memory');
  }

  /** A form post's headers; with `uiLocales`, the server's error messages in those languages. */
  private formHeaders(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const tags = this.options.uiLocales?.split(/\s+/).filter(Boolean);
    // Most wanted first, as qualities the server ranks by (RFC 9110 §12.5.4).
    if (tags?.length) headers['accept-language'] = tags.map((tag, i) => (i ? `${tag};q=${(1 - i / 10).toFixed(1)}` : tag)).join(', ');
    return headers;
  }

  /** `operation` again after a `network_error`, a bounded number of times with backoff. */
  private retryingNetwork<T>(operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, {
      retries: this.options.networkRetries ?? 2,
      retryOn: (error) => isIntelliAuthError(error) && error.code === 'network_error',
    });
  }

  private discover(): Promise<Metadata> {
    this.metadata ??= (async () => {
      const url = `${this.issuer}/.well-known/openid-configuration`;
      const response = await this.retryingNetwork(() => fetchOrNetworkError(url));
      if (!response.ok) throw await errorFromResponse(response);
      return (await response.json()) as Metadata;
    })().catch((error: unknown) => {
      this.metadata = undefined;
      throw error;
    });
    return this.metadata;
  }

  /** The authorization request for `options`, and the transaction its callback needs. */
  private async authorizationRequest(options: LoginOptions): Promise<{ url: string; state: string; transaction: Transaction }> {
    const metadata = await this.discover();
    const transaction: Transaction = {
      verifier: randomString(32),
      nonce: randomString(16),
      redirectUri: options.redirectUri ?? this.options.redirectUri,
      scope: options.scope ?? this.options.scope ?? DEFAULT_SCOPE,
      appState: options.appState,
    };
    const state = randomString(16);
    const url = new URL(metadata.authorization_endpoint);
    const params: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: transaction.redirectUri,
      scope: transaction.scope,
      state,
      nonce: transaction.nonce,
      code_challenge: await challengeFor(transaction.verifier),
      code_challenge_method: 'S256',
      audience: options.audience ?? this.options.audience,
      acr_values: options.acr_values,
      max_age: options.max_age === undefined ? undefined : String(options.max_age),
      prompt: options.prompt,
      login_hint: options.login_hint,
      connection: options.connection,
      organization: options.organization ?? this.options.organization,
      // The code is bound to this browser's key too (RFC 9449 §10).
      dpop_jkt: this.dpop ? await this.dpop.thumbprint() : undefined,
      ui_locales: options.ui_locales ?? this.options.uiLocales,
    };
    for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
    return { url: url.href, state, transaction };
  }

  /** The URL `loginWithRedirect` would go to; the transaction is remembered for the callback. */
  async buildAuthorizeUrl(options: LoginOptions = {}): Promise<string> {
    const { url, state, transaction } = await this.authorizationRequest(options);
    sessionStorage.setItem(TRANSACTION_PREFIX + state, JSON.stringify(transaction));
    return url;
  }

  /** Sends the browser to sign in (authorization code + PKCE S256, with state and nonce). */
  async loginWithRedirect(options: LoginOptions = {}): Promise<void> {
    window.location.assign(await this.buildAuthorizeUrl(options));
  }

  /** Whether this page is the hidden frame of a `prompt=none` renewal (which the parent reads). */
  static isSilentFrame(): boolean {
    try {
      return window.frameElement instanceof HTMLElement && window.frameElement.dataset.intelliauthSilent === '1';
    } catch {
      return false;
    }
  }

  /**
   * Finishes a sign-in on the redirect URI: checks `state` against the stored transaction
   * (a mismatch, or a callback seen before, is `state_mismatch`), maps an error in the
   * redirect onto its code, exchanges the code and checks the ID token's nonce.
   */
  async handleRedirectCallback(url: string = window.location.href): Promise<RedirectResult> {
    if (IntelliAuthClient.isSilentFrame()) return {};
    const params = new URL(url).searchParams;
    const state = params.get('state');
    const key = TRANSACTION_PREFIX + (state ?? '');
    const stored = state ? sessionStorage.getItem(key) : null;
    // Single use: a replayed callback finds nothing.
    sessionStorage.removeItem(key);
    if (!stored) throw stateMismatch(state ? 'unknown or already used state' : 'no state in the callback');
    const transaction = JSON.parse(stored) as Transaction;
    await this.finishAuthorization(params, transaction);
    return { appState: transaction.appState };
  }

  private async finishAuthorization(params: URLSearchParams, transaction: Transaction): Promise<CachedTokens> {
    const redirected = errorFromRedirect(params);
    if (redirected) throw redirected;
    const metadata = await this.discover();
    const iss = params.get('iss');
    if (iss !== null && iss !== metadata.issuer) throw stateMismatch('the response came from another issuer');
    const code = params.get('code');
    if (!code) throw stateMismatch('no code in the callback');
    const tokens = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: transaction.redirectUri,
      code_verifier: transaction.verifier,
      client_id: this.options.clientId,
    });
    const claims = tokens.idToken ? decodeJwtClaims(tokens.idToken) : {};
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (tokens.idToken && (claims.nonce !== transaction.nonce || claims.iss !== metadata.issuer || !audience.includes(this.options.clientId))) {
      throw stateMismatch('the ID token does not belong to this sign-in');
    }
    this.cache.write(tokens);
    return tokens;
  }

  /** POSTs to the token endpoint (with a DPoP proof, answering the server's nonce
   * challenge once); tokens in, catalogue errors out. */
  private async tokenRequest(form: Record<string, string>): Promise<CachedTokens> {
    const metadata = await this.discover();
    const post = async () => {
      const headers: Record<string, string> = this.formHeaders();
      if (this.dpop) headers.dpop = await this.dpop.proof('POST', metadata.token_endpoint);
      const answer = await fetchOrNetworkError(metadata.token_endpoint, { method: 'POST', headers, body: new URLSearchParams(form) });
      this.dpop?.remember(metadata.token_endpoint, answer);
      return answer;
    };
    let response = await post();
    if (this.dpop && (await asksForNonce(response))) response = await post();
    if (!response.ok) throw await errorFromResponse(response);
    const body = (await response.json()) as Record<string, unknown>;
    const previous = this.cache.read();
    return {
      accessToken: String(body.access_token),
      expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000,
      idToken: typeof body.id_token === 'string' ? body.id_token : previous?.idToken,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
      scope: typeof body.scope === 'string' ? body.scope : '',
    };
  }

  /** Whether `tokens` hold an access token that is not within the leeway of its expiry. */
  private fresh(tokens: CachedTokens): boolean {
    const leeway = (this.options.leewaySeconds ?? 60) * 1000;
    return tokens.expiresAt - leeway > Date.now();
  }

  /**
   * An access token: the cached one while it is fresh; otherwise renewed with the refresh
   * token (rotated) or, without one, by `prompt=none` (retried once). Concurrent calls, in
   * this tab and in others, share one renewal. `session_expired` and `session_revoked` are
   * thrown so the app can call `loginWithRedirect()`.
   */
  async getTokenSilently(options: GetTokenOptions = {}): Promise<string> {
    const cached = this.cache.read();
    if (options.cacheMode !== 'off' && cached && this.fresh(cached)) return cached.accessToken;
    const stale = options.cacheMode === 'off' ? cached?.accessToken : undefined;
    this.renewal ??= withLock(`intelliauth.renew.${this.options.clientId}`, (waited) => this.renew(stale, waited)).finally(() => {
      this.renewal = undefined;
    });
    try {
      return await this.renewal;
    } catch (error) {
      await this.signInIfNeeded(error);
      throw error;
    }
  }

  /** The catalogue's response to codes that need the user: an interactive sign-in. */
  private async signInIfNeeded(error: unknown): Promise<void> {
    if (this.options.redirectWhenSignInNeeded !== true) return;
    if (!isIntelliAuthError(error) || !SIGN_IN_NEEDED.includes(error.code)) return;
    // Only the tab's first failure leaves; a page already leaving is not sent twice.
    if (this.leaving) return;
    this.leaving = true;
    await this.loginWithRedirect(error.code === 'consent_required' ? { prompt: 'consent' } : {});
  }

  private async renew(stale: string | undefined, waited: boolean): Promise<string> {
    // Another tab may have renewed while this one waited for the lock; its tokens may take a
    // moment more to show in this tab's storage.
    const renewedElsewhere = (tokens: CachedTokens | null): boolean =>
      tokens !== null && this.fresh(tokens) && tokens.accessToken !== stale;
    let current = this.cache.read();
    if (!renewedElsewhere(current) && waited) {
      await this.cache.changed(250);
      current = this.cache.read();
    }
    if (current && renewedElsewhere(current)) return current.accessToken;
    if (current?.refreshToken) {
      try {
        const tokens = await this.tokenRequest({
          grant_type: 'refresh_token',
          refresh_token: current.refreshToken,
          client_id: this.options.clientId,
        });
        tokens.refreshToken ??= current.refreshToken;
        this.cache.write(tokens);
        return tokens.accessToken;
      } catch (error) {
        if (isIntelliAuthError(error) && ['session_expired', 'session_revoked', 'invalid_grant'].includes(error.code)) {
          this.cache.clear();
          if (error.code !== 'invalid_grant') throw error;
        } else {
          throw error;
        }
      }
    }
    try {
      return (await this.silentSignIn()).accessToken;
    } catch (error) {
      if (isIntelliAuthError(error) && error.code === 'silent_auth_failed') return (await this.silentSignIn()).accessToken;
      throw error;
    }
  }

  /** `prompt=none` in a hidden frame on the redirect URI: a new code if the session lives. */
  private async silentSignIn(): Promise<CachedTokens> {
    const { url, state, transaction } = await this.authorizationRequest({ prompt: 'none' });
    const timeout = this.options.silentTimeoutMs ?? 10_000;
    const params = await new Promise<URLSearchParams>((resolve, reject) => {
      const frame = document.createElement('iframe');
      frame.style.display = 'none';
      frame.dataset.intelliauthSilent = '1';
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        frame.remove();
        outcome();
      };
      const timer = setTimeout(
        () => finish(() => reject(new IntelliAuthError('silent_auth_failed', undefined, { reason: 'timeout' }))),
        timeout,
      );
      frame.addEventListener('load', () => {
        let href: string | undefined;
        try {
          href = frame.contentWindow?.location.href;
        } catch {
          return; // Still on the server's origin.
        }
        if (href && samePage(href, transaction.redirectUri)) finish(() => resolve(new URL(href!).searchParams));
      });
      frame.src = url;
      document.body.appendChild(frame);
    });
    if (params.get('state') !== state) throw stateMismatch('the silent response answers another request');
    return this.finishAuthorization(params, transaction);
  }

  /**
   * `fetch` with the access token. A 401 `token_expired` renews the token and retries once;
   * `step_up_required` starts step-up with the challenge's `acr_values` and `max_age` (and
   * throws, as the page is leaving). Other responses are returned as they are. A body
   * that is a stream cannot be sent twice: pass strings, FormData or Blobs.
   */
  async fetchWithAuth(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = input instanceof Request ? input.url : String(input);
    const send = async (token: string) => {
      const once = async () => {
        const headers = new Headers(init.headers);
        if (this.dpop) {
          // A fresh proof for every attempt: the server takes each one once.
          headers.set('authorization', `DPoP ${token}`);
          headers.set('dpop', await this.dpop.proof(method, url, token));
        } else {
          headers.set('authorization', `Bearer ${token}`);
        }
        const answer = await fetchOrNetworkError(input, { ...init, headers });
        this.dpop?.remember(url, answer);
        return answer;
      };
      // Only a call that may safely arrive twice is sent again after a network failure.
      const sent = await (IDEMPOTENT.includes(method) ? this.retryingNetwork(once) : once());
      return this.dpop && (await asksForNonce(sent)) ? once() : sent;
    };
    let response = await send(await this.getTokenSilently());
    if (response.status === 401 || response.status === 403) {
      const error = await errorFromResponse(response.clone());
      if (error.code === 'token_expired') {
        response = await send(await this.getTokenSilently({ cacheMode: 'off' }));
      } else if (error.code === 'step_up_required') {
        await this.loginWithRedirect({ acr_values: error.details.acr_values, max_age: error.details.max_age });
        throw error;
      }
    }
    return response;
  }

  /** The signed-in user's ID token claims, or `undefined`. */
  async getUser(): Promise<Record<string, unknown> | undefined> {
    const idToken = this.cache.read()?.idToken;
    return idToken ? decodeJwtClaims(idToken) : undefined;
  }

  /** Whether tokens are held that are fresh or renewable. */
  async isAuthenticated(): Promise<boolean> {
    const cached = this.cache.read();
    return cached !== null && (this.fresh(cached) || Boolean(cached.refreshToken));
  }

  /** Forgets the tokens, revokes the refresh token, and ends the server's session (RP-initiated logout). */
  async logout(options: LogoutOptions = {}): Promise<void> {
    const cached = this.cache.read();
    this.cache.clear();
    const metadata = await this.discover();
    if (cached?.refreshToken && metadata.revocation_endpoint) {
      // Best effort: the session's end revokes it as well.
      await fetchOrNetworkError(metadata.revocation_endpoint, {
        method: 'POST',
        headers: this.formHeaders(),
        body: new URLSearchParams({ token: cached.refreshToken, client_id: this.options.clientId }),
      }).catch(() => undefined);
    }
    const url = new URL(metadata.end_session_endpoint ?? `${this.issuer}/oauth/logout`);
    url.searchParams.set('client_id', this.options.clientId);
    if (cached?.idToken) url.searchParams.set('id_token_hint', cached.idToken);
    const returnTo = options.returnTo ?? this.options.postLogoutRedirectUri;
    if (returnTo) url.searchParams.set('post_logout_redirect_uri', returnTo);
    window.location.assign(url.href);
  }
}

/** A client for one application of one tenant. */
export function createIntelliAuthClient(options: IntelliAuthClientOptions): IntelliAuthClient {
  return new IntelliAuthClient(options);
}
