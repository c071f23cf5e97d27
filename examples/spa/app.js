// The example SPA: sign in with redirect, call a protected endpoint with fetchWithAuth,
// sign out, and the catalogue's two patterns for errors.
import { createIntelliAuthClient, IntelliAuthClient, IntelliAuthError, withRetry } from '/sdk/index.js';

// Inside the SDK's hidden prompt=none frame the SDK reads this page's address: start nothing.
if (!IntelliAuthClient.isSilentFrame()) await main();

async function main() {
  const config = await (await fetch('/config.json')).json();
  const auth = createIntelliAuthClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: `${location.origin}/`,
    postLogoutRedirectUri: `${location.origin}/`,
    leewaySeconds: config.leewaySeconds ?? 60,
    // The catalogue's response to session_expired, session_revoked, login_required and
    // consent_required: sign in again, interactively.
    redirectWhenSignInNeeded: config.redirectWhenSignInNeeded ?? true,
    // Tokens bound to a key this browser holds (RFC 9449), when the config asks.
    dpop: config.dpop ?? false,
  });

  const $ = (id) => document.getElementById(id);

  // Pattern 1: switch on code for UX.
  function userMessage(err) {
    switch (err.code) {
      case 'invalid_credentials': return 'Email or password is incorrect.';
      case 'account_locked': return `Too many attempts. Try again in ${err.details?.retry_after_s ?? 60}s.`;
      case 'session_expired': return 'Your session ended. Sign in to continue.';
      case 'session_revoked': return 'Your session has been revoked. Sign in to continue.';
      case 'state_mismatch': return 'Sign-in security check failed. Start from the home page.';
      case 'network_error': return 'Connection issue. Try again.';
      default: return 'Something went wrong. Try again shortly.';
    }
  }

  // Pattern 2: branch on code and family for the retry strategy.
  function shouldRetry(err) {
    return ['network_error', 'silent_auth_failed', 'server_error', 'service_unavailable'].includes(err.code);
  }

  function showError(err) {
    if (!(err instanceof IntelliAuthError)) throw err;
    const box = $('error');
    box.dataset.code = err.code;
    box.dataset.family = err.family;
    box.textContent = userMessage(err);
  }

  async function render() {
    const signedIn = await auth.isAuthenticated();
    const user = signedIn ? await auth.getUser() : undefined;
    $('status').textContent = signedIn ? `Signed in as ${user?.email ?? user?.sub}` : 'Signed out';
    $('sign-in').hidden = signedIn;
    $('call-api').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
  }

  async function callApi() {
    $('error').textContent = '';
    delete $('error').dataset.code;
    try {
      // Transient failures are retried with backoff (two more attempts); the rest are shown.
      const response = await withRetry(() => auth.fetchWithAuth(`${config.issuer}/oauth/userinfo`), {
        retries: 2,
        retryOn: (err) => err instanceof IntelliAuthError && shouldRetry(err),
      });
      const body = await response.json();
      $('result').hidden = false;
      $('result').textContent = JSON.stringify(body, null, 2);
      $('result').dataset.status = String(response.status);
    } catch (err) {
      showError(err);
      if (err.code === 'session_expired' || err.code === 'session_revoked') await render();
    }
  }

  $('sign-in').addEventListener('click', () => auth.loginWithRedirect({ appState: { returnTo: location.pathname } }));
  $('call-api').addEventListener('click', callApi);
  $('sign-out').addEventListener('click', () => auth.logout());

  const query = new URLSearchParams(location.search);
  if (query.has('state') || query.has('error') || query.has('code')) {
    try {
      await auth.handleRedirectCallback();
    } catch (err) {
      showError(err);
    }
    history.replaceState(null, '', location.pathname);
  }
  await render();
  document.body.dataset.ready = 'true';
}
