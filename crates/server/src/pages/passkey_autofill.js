// Passkey autofill on the sign-in form (WebAuthn conditional mediation): where the browser
// offers it, the user's passkeys appear in the email field's suggestions beside saved
// passwords, and choosing one signs in at once through the passwordless endpoint. Where it
// does not, nothing happens here and the "Sign in with a passkey" link remains.
(async () => {
  const data = document.getElementById('passkey-autofill');
  const form = document.getElementById('passkey-autofill-form');
  if (!data || !form || !window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
  const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const options = JSON.parse(data.textContent).publicKey;
  options.challenge = fromB64(options.challenge);
  for (const credential of options.allowCredentials || []) credential.id = fromB64(credential.id);
  let credential;
  try {
    credential = await navigator.credentials.get({ mediation: 'conditional', publicKey: options });
  } catch {
    return; // Dismissed, or another ceremony took over: the password form is still there.
  }
  if (!credential) return;
  form.elements.credential.value = JSON.stringify({
    id: credential.id,
    rawId: toB64(credential.rawId),
    type: credential.type,
    extensions: {},
    response: {
      authenticatorData: toB64(credential.response.authenticatorData),
      clientDataJSON: toB64(credential.response.clientDataJSON),
      signature: toB64(credential.response.signature),
      userHandle: credential.response.userHandle ? toB64(credential.response.userHandle) : null,
    },
  });
  form.submit();
})();
