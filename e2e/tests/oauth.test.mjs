// Access tokens verified the way a resource server would: the standard `jose` library,
// the tenant's metadata and its remote key set. No browser needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, errors } from 'jose';
import { startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function machineClient(tenant) {
  const reply = await server.api('POST', `/v1/tenants/${tenant}/applications`, {
    name: `m2m-${tenant}`, client_type: 'confidential', redirect_uris: ['https://m2m.example/cb'],
    allowed_grants: ['client_credentials'], allowed_scopes: ['reports:read'],
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  // The audience is an API of the tenant, and the client's grant says what it may have there.
  const api = await server.api('POST', `/v1/tenants/${tenant}/apis`, {
    identifier: 'https://reports.example', permissions: [{ value: 'reports:read' }],
  });
  assert.equal(api.status, 201, JSON.stringify(api.body));
  const grant = await server.api('POST', `/v1/tenants/${tenant}/client-grants`, {
    client_id: reply.body.client_id, api_id: api.body.id, scopes: ['reports:read'],
  });
  assert.equal(grant.status, 201, JSON.stringify(grant.body));
  return reply.body;
}

async function clientCredentials(tenant, client) {
  const metadata = await (await fetch(`${server.base}/t/${tenant}/.well-known/oauth-authorization-server`)).json();
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'https://reports.example' }),
  });
  assert.equal(response.status, 200);
  return { metadata, token: (await response.json()).access_token };
}

for (const [tenant, alg] of [['default', 'ES256'], ['ed-tenant', 'EdDSA'], ['rsa-tenant', 'RS256']]) {
  test(`an ${alg} access token verifies with jose against the published JWKS`, async () => {
    if (tenant !== 'default') await server.tenant(tenant, { oauth: { signing_alg: alg } });
    const client = await machineClient(tenant);
    const { metadata, token } = await clientCredentials(tenant, client);
    const keySet = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(token, keySet, {
      issuer: metadata.issuer, audience: 'https://reports.example', typ: 'at+jwt', algorithms: [alg],
    });
    assert.equal(protectedHeader.alg, alg);
    assert.equal(payload.client_id, client.client_id);
    assert.equal(payload.scope, 'reports:read');
    assert.deepEqual(payload.permissions, ['reports:read']);

    const tampered = token.slice(0, -6) + (token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    await assert.rejects(jwtVerify(tampered, keySet, { issuer: metadata.issuer }), errors.JWSSignatureVerificationFailed);
  });
}
