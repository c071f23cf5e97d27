// A relying party's redirect URI for browser tests: a real local server on a loopback port
// (as a web app would have) that records every URL the browser was sent back to.
import { createServer } from 'node:http';

export async function startRedirectReceiver() {
  const received = [];
  let base = '';
  const http = createServer((request, response) => {
    // The browser's own request for an icon is not a redirect.
    if (!request.url.startsWith('/favicon')) received.push(`${base}${request.url}`);
    response.end('back at the app');
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  // `localhost`, as registered redirect URIs of loopback apps usually are.
  base = `http://localhost:${http.address().port}`;
  return {
    redirectUri: `${base}/callback`,
    base,
    /** Every URL the browser came back to, oldest first. */
    received,
    close: () => http.close(),
  };
}
