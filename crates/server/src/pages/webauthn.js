// WebAuthn on the hosted pages: reads the ceremony's options from the page, asks the
// browser's authenticator, and posts the answer (or an empty one if the user cancelled,
// so the server can say webauthn_failed and offer another method).
(() => {
  const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const form = document.getElementById('webauthn-form');
  if (!form) return;
  const options = JSON.parse(document.getElementById('webauthn-options').textContent).publicKey;
  options.challenge = fromB64(options.challenge);
  for (const credential of options.allowCredentials || []) credential.id = fromB64(credential.id);
  const answer = (credential) => ({
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
  const run = () => navigator.credentials.get({ publicKey: options })
    .then((credential) => { form.elements.credential.value = JSON.stringify(answer(credential)); })
    .catch((error) => { form.elements.credential.value = ''; form.elements.reason.value = String(error && error.name); })
    .finally(() => form.submit());
  document.getElementById('webauthn-start').addEventListener('click', (event) => { event.preventDefault(); run(); });
  if (form.dataset.autostart === 'true') run();
})();
