// IntelliAuthError and the mapping of every failure onto it: server error bodies, OAuth
// redirect errors, and fetch failures; plus the helpers the catalogue's patterns need.
import { CATALOGUE, type ErrorCode, type ErrorFamily } from './generated/catalogue.js';

export type { ErrorCode, ErrorFamily } from './generated/catalogue.js';
export { CATALOGUE, ERROR_CODES } from './generated/catalogue.js';

/** Programmatic details of an error, as the catalogue documents per code. */
export interface ErrorDetails {
  retry_after_s?: number;
  step?: string | { id: string; name: string };
  fields?: Record<string, string[]>;
  reason?: string;
  /** `invalid_scope`: the scopes that were refused. */
  scopes?: string[];
  acr_values?: string;
  max_age?: number;
  [key: string]: unknown;
}

/** Every failure of the SDK. Match on `code`; `message` is the catalogue's copy unless the server said more. */
export class IntelliAuthError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly family: ErrorFamily;
  /** The HTTP status, when a response carried the error. */
  readonly status?: number;
  /** The server's request id, for support. */
  readonly requestId?: string;

  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}, extra: { status?: number; requestId?: string; cause?: unknown } = {}) {
    super(message || CATALOGUE[code].message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'IntelliAuthError';
    this.code = code;
    this.details = details;
    this.family = CATALOGUE[code].family;
    this.status = extra.status;
    this.requestId = extra.requestId;
  }

  /** Seconds to wait before trying again, from `details.retry_after_s` or `Retry-After`. */
  get retryAfterSeconds(): number | undefined {
    const value = this.details.retry_after_s;
    return typeof value === 'number' && value >= 0 ? value : undefined;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CATALOGUE, value);
}

export function isIntelliAuthError(value: unknown): value is IntelliAuthError {
  return value instanceof IntelliAuthError;
}

/** RFC 6749 / OIDC `error` values a redirect or a token response may carry, without a catalogue code. */
const OAUTH_ERRORS: Record<string, ErrorCode> = {
  invalid_request: 'validation_failed',
  unauthorized_client: 'unauthorized_client',
  access_denied: 'consent_required',
  unsupported_response_type: 'unauthorized_client',
  invalid_scope: 'invalid_scope',
  server_error: 'server_error',
  temporarily_unavailable: 'service_unavailable',
  interaction_required: 'silent_auth_failed',
  login_required: 'silent_auth_failed',
  account_selection_required: 'silent_auth_failed',
  consent_required: 'consent_required',
  invalid_client: 'invalid_client',
  invalid_grant: 'invalid_grant',
  unsupported_grant_type: 'unauthorized_client',
  invalid_token: 'token_expired',
  insufficient_user_authentication: 'step_up_required',
};

/** The code for an HTTP status when the body names none (a proxy's page, say). */
function codeForStatus(status: number): ErrorCode {
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 502 || status === 504) return 'service_unavailable';
  if (status >= 500) return 'server_error';
  if (status === 404) return 'not_found';
  if (status === 403) return 'permission_denied';
  if (status === 401) return 'token_expired';
  return 'validation_failed';
}

function retryAfterHeader(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Parameters of a `WWW-Authenticate: Bearer …` challenge. */
export function parseBearerChallenge(header: string | null): Record<string, string> {
  const params: Record<string, string> = {};
  if (!header) return params;
  const pattern = /([a-zA-Z_]+)=(?:"([^"]*)"|([^\s,]+))/g;
  for (const match of header.matchAll(pattern)) params[match[1]!] = match[2] ?? match[3] ?? '';
  return params;
}

/**
 * The error a non-2xx response stands for: the body's catalogue `code` when it has one,
 * else its RFC 6749 `error`, else the status. `Retry-After` lands in `details.retry_after_s`.
 */
export async function errorFromResponse(response: Response): Promise<IntelliAuthError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await response.text();
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
  const code: ErrorCode = isErrorCode(body.code)
    ? body.code
    : typeof body.error === 'string' && OAUTH_ERRORS[body.error]
      ? OAUTH_ERRORS[body.error]!
      : challenge.error && OAUTH_ERRORS[challenge.error]
        ? OAUTH_ERRORS[challenge.error]!
        : codeForStatus(response.status);
  const details: ErrorDetails = { ...((body.details as ErrorDetails | undefined) ?? {}) };
  const retryAfter = retryAfterHeader(response.headers);
  if (details.retry_after_s === undefined && retryAfter !== undefined) details.retry_after_s = retryAfter;
  if (code === 'step_up_required') {
    details.acr_values ??= challenge.acr_values;
    if (details.max_age === undefined && challenge.max_age !== undefined) details.max_age = Number(challenge.max_age);
  }
  const message = typeof body.message === 'string' ? body.message : undefined;
  const requestId = typeof body.request_id === 'string' ? body.request_id : response.headers.get('x-request-id') ?? undefined;
  return new IntelliAuthError(code, message, details, { status: response.status, requestId });
}

/** The error an authorization response (the redirect back to the app) carries, if any. */
export function errorFromRedirect(params: URLSearchParams): IntelliAuthError | null {
  const error = params.get('error');
  if (!error) return null;
  // The catalogue code travels as `catalogue_error`: never `code` or a name ending in it,
  // which clients searching the URL for `code=` take for an authorization code.
  const named = params.get('catalogue_error');
  const code: ErrorCode = isErrorCode(named) ? named : OAUTH_ERRORS[error] ?? 'server_error';
  const details: ErrorDetails = { error };
  // An Action's verdict: which Action, and why (as details.step and details.reason in JSON).
  const stepId = params.get('step_id');
  if (stepId !== null) details.step = { id: stepId, name: params.get('step_name') ?? '' };
  const reason = params.get('reason');
  if (reason !== null) details.reason = reason;
  // invalid_scope names the scopes the application may not ask for.
  const refused = params.get('refused_scopes');
  if (refused !== null) details.scopes = refused.split(' ').filter(Boolean);
  return new IntelliAuthError(code, params.get('error_description') ?? undefined, details);
}

/** A `fetch` that failed before any response (DNS, refused, offline, CORS). */
export function networkError(cause: unknown): IntelliAuthError {
  return new IntelliAuthError('network_error', undefined, {}, { cause });
}

/** `fetch`, with a failure to get any response turned into `network_error`. */
export async function fetchOrNetworkError(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw networkError(cause);
  }
}

/** Per-code copy that replaces the catalogue's (translation, branding). */
export type MessageOverrides = Partial<Record<ErrorCode, string | ((error: IntelliAuthError) => string)>>;

/**
 * What to show the user for `error`: the override for its code if there is one, else the
 * catalogue's copy. Codes the catalogue marks as not for users fall back to a generic line.
 */
export function userMessage(error: IntelliAuthError, overrides: MessageOverrides = {}): string {
  const override = overrides[error.code];
  if (typeof override === 'function') return override(error);
  if (typeof override === 'string') return override;
  const entry = CATALOGUE[error.code];
  if (error.code === 'account_locked' && error.retryAfterSeconds !== undefined) {
    const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    return `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  }
  // An Action's outcome is shown with its catalogue copy, as the hosted pages show it.
  return entry.userVisible || entry.family === 'action' ? entry.message : CATALOGUE.server_error.message;
}

const RETRYABLE: readonly ErrorCode[] = ['network_error', 'silent_auth_failed', 'server_error', 'service_unavailable'];

/** Whether trying the same thing again may work: transient transport and silent-auth failures. */
export function shouldRetry(error: unknown): boolean {
  return isIntelliAuthError(error) && RETRYABLE.includes(error.code);
}

export interface RetryOptions {
  /** Further attempts after the first (default 3). */
  retries?: number;
  /** The first backoff (default 250 ms); each next one doubles, with full jitter. */
  baseDelayMs?: number;
  /** No wait is longer (default 30 s), `Retry-After` included. */
  maxDelayMs?: number;
  /** Which failures to retry (default: `shouldRetry`, plus `rate_limited`). */
  retryOn?: (error: unknown) => boolean;
  /** For tests: the random source and the clock. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The wait before retry number `attempt` (0-based) after `error`. */
export function backoffDelay(attempt: number, error: unknown, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  const retryAfter = isIntelliAuthError(error) ? error.retryAfterSeconds : undefined;
  if (retryAfter !== undefined) return Math.min(max, retryAfter * 1000);
  // "Full jitter": anywhere up to the exponential step, so clients that failed together spread out.
  return Math.min(max, Math.floor(random() * base * 2 ** attempt));
}

/**
 * Runs `operation`, retrying transient failures with exponential backoff and jitter;
 * a `Retry-After` (or `details.retry_after_s`) is honoured instead of the backoff.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 3;
  const retryOn = options.retryOn ?? ((error: unknown) => shouldRetry(error) || (isIntelliAuthError(error) && error.code === 'rate_limited'));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= retries || !retryOn(error)) throw error;
      await sleep(backoffDelay(attempt, error, options));
    }
  }
}
