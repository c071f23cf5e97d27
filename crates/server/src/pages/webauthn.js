// WebAuthn on the hosted pages: reads the ceremony's options from the page, asks the
// browser's authenticator (to create a passkey, or to sign in with one), and posts the
// answer, or an empty one if it failed or the user cancelled, so the server can say
// webauthn_failed and offer another method.
(() => {
  const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const form = document.getElementById('webauthn-form');
  if (!form) return;
  const creating = form.dataset.mode === 'create';
  const options = JSON.parse(document.getElementById('webauthn-options').textContent).publicKey;
  options.challenge = fromB64(options.challenge);
  for (const credential of options.allowCredentials || []) credential.id = fromB64(credential.id);
  for (const credential of options.excludeCredentials || []) credential.id = fromB64(credential.id);
  if (options.user) options.user.id = fromB64(options.user.id);
  const answer = (credential) => {
    const response = creating
      ? {
        attestationObject: toB64(credential.response.attestationObject),
        clientDataJSON: toB64(credential.response.clientDataJSON),
      }
      : {
        authenticatorData: toB64(credential.response.authenticatorData),
        clientDataJSON: toB64(credential.response.clientDataJSON),
        signature: toB64(credential.response.signature),
        userHandle: credential.response.userHandle ? toB64(credential.response.userHandle) : null,
      };
    return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type, extensions: {}, response };
  };
  const ceremony = () => (creating
    ? navigator.credentials.create({ publicKey: options })
    : navigator.credentials.get({ publicKey: options }));
  const run = () => ceremony()
    .then((credential) => { form.elements.credential.value = JSON.stringify(answer(credential)); })
    .catch((error) => { form.elements.credential.value = ''; form.elements.reason.value = String(error && error.name); })
    .finally(() => form.submit());
  document.getElementById('webauthn-start').addEventListener('click', (event) => { event.preventDefault(); run(); });
  if (form.dataset.autostart === 'true') run();
})();
