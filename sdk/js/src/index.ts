// @intelliauth/spa-js: IntelliAuth for single-page applications.
export { createIntelliAuthClient, IntelliAuthClient } from './client.js';
export type { IntelliAuthClientOptions, LoginOptions, RedirectResult, GetTokenOptions, LogoutOptions } from './client.js';
export {
  IntelliAuthError,
  isIntelliAuthError,
  isErrorCode,
  errorFromResponse,
  errorFromRedirect,
  networkError,
  fetchOrNetworkError,
  parseBearerChallenge,
  userMessage,
  shouldRetry,
  withRetry,
  backoffDelay,
  CATALOGUE,
  ERROR_CODES,
} from './errors.js';
export type { ErrorCode, ErrorFamily, ErrorDetails, MessageOverrides, RetryOptions } from './errors.js';
export type { CachedTokens } from './storage.js';
export { DpopSigner } from './dpop.js';
