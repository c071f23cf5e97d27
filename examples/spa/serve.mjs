#!/usr/bin/env node
// Serves the example SPA and the SDK's build, with Node only. Run against the server that
// `cargo run -p intelliauth -- serve` started:
//
//   INTELLIAUTH_TOKEN=iam_… node examples/spa/serve.mjs
//
// With the management token it registers (or reuses) the "Example SPA" application for
// http://localhost:3000/; give INTELLIAUTH_CLIENT_ID instead to use one you created.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = join(here, '..', '..', 'sdk', 'js');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json', '.json': 'application/json' };

/** Builds the SDK once if its `dist/` is missing. */
export function ensureSdkBuilt() {
  if (existsSync(join(sdk, 'dist', 'index.js'))) return;
  if (!existsSync(join(sdk, 'node_modules'))) execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: sdk, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: sdk, stdio: 'inherit' });
}

/** Finds or creates the public application the example signs in with. */
export async function registerApplication({ server, tenant, token, origin }) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const listed = await (await fetch(`${server}/v1/tenants/${tenant}/applications?limit=200`, { headers })).json();
  const existing = (listed.data ?? []).find((app) => app.name === 'Example SPA' && app.redirect_uris.includes(`${origin}/`));
  if (existing) return existing.client_id;
  const created = await fetch(`${server}/v1/tenants/${tenant}/applications`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'Example SPA', client_type: 'public', first_party: true,
      redirect_uris: [`${origin}/`], post_logout_redirect_uris: [`${origin}/`],
    }),
  });
  const body = await created.json();
  if (created.status !== 201) throw new Error(`registering the example application failed: ${JSON.stringify(body)}`);
  return body.client_id;
}

/** Serves the example on `host:port` (0 picks one); resolves to the server and its origin. */
export async function startExample({ issuer, clientId, host = 'localhost', port = 3000, leewaySeconds, dpop }) {
  const config = JSON.stringify({ issuer, clientId, leewaySeconds, dpop });
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    // The app's own backend: removing a user is a sensitive operation, done with the
    // signed-in tenant admin's token, so IntelliAuth may answer step_up_required (RFC 9470).
    const removal = /^\/api\/users\/([\w-]+)$/.exec(path);
    if (removal && request.method === 'DELETE') {
      const [, tenantBase, tenant] = /^(.*)\/t\/([^/]+)$/.exec(issuer);
      const upstream = await fetch(`${tenantBase}/v1/tenants/${tenant}/users/${removal[1]}`, {
        method: 'DELETE',
        headers: { authorization: request.headers.authorization ?? '' },
      });
      const headers = { 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
      for (const name of ['www-authenticate', 'retry-after', 'x-request-id']) {
        if (upstream.headers.has(name)) headers[name] = upstream.headers.get(name);
      }
      response.writeHead(upstream.status, headers);
      return response.end(await upstream.text());
    }
    if (path === '/config.json') {
      response.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
      return response.end(config);
    }
    const file = path.startsWith('/sdk/')
      ? join(sdk, 'dist', normalize(path.slice('/sdk/'.length)))
      : join(here, path === '/' ? 'index.html' : normalize(path.slice(1)));
    if (!file.startsWith(here) && !file.startsWith(join(sdk, 'dist'))) {
      response.writeHead(404);
      return response.end();
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return { server, origin: `http://${host}:${server.address().port}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const serverUrl = (process.env.INTELLIAUTH_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
  const tenant = process.env.INTELLIAUTH_TENANT ?? 'default';
  const port = Number(process.env.PORT ?? 3000);
  const origin = `http://localhost:${port}`;
  ensureSdkBuilt();
  let clientId = process.env.INTELLIAUTH_CLIENT_ID;
  if (!clientId) {
    const token = process.env.INTELLIAUTH_TOKEN;
    if (!token) {
      console.error('Set INTELLIAUTH_TOKEN (the management token the server printed) or INTELLIAUTH_CLIENT_ID.');
      process.exit(2);
    }
    clientId = await registerApplication({ server: serverUrl, tenant, token, origin });
  }
  await startExample({ issuer: `${serverUrl}/t/${tenant}`, clientId, port });
  console.log(`Example SPA on ${origin}/ (client ${clientId}, issuer ${serverUrl}/t/${tenant})`);
}
