// The SDK's DPoP signer against the real server: its proofs are taken at the token endpoint
// (after the server's nonce challenge, which it remembers), its thumbprint is the one the
// server binds the token to, and a resource refuses the token without a proof of that key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopSigner } from '@intelliauth/spa-js';
import { startServer, type RunningServer } from '../../../e2e/lib/server.mjs';

let server: RunningServer;

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

describe('DpopSigner against the real server', () => {
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('binds a token to its key, answering the nonce challenge once', async () => {
    const app = await server.api('POST', '/v1/tenants/default/applications', {
      name: 'sdk-dpop', client_type: 'confidential', redirect_uris: ['https://m2m.example/cb'],
      allowed_grants: ['client_credentials'], allowed_scopes: ['reports'],
    });
    expect(app.status).toBe(201);
    const metadata = await (await fetch(`${server.base}/t/default/.well-known/openid-configuration`)).json();
    const signer = new DpopSigner('sdk-test', false);
    const request = async () => {
      const proof = await signer.proof('POST', metadata.token_endpoint);
      const response = await fetch(`${server.base}/t/default/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${app.body.client_id}:${app.body.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          dpop: proof,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      signer.remember(metadata.token_endpoint, response);
      return response;
    };
    const challenged = await request();
    expect(challenged.status).toBe(400);
    expect((await challenged.json()).error).toBe('use_dpop_nonce');
    const answered = await request();
    const body = await answered.json();
    expect(answered.status, JSON.stringify(body)).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(claimsOf(body.access_token).cnf.jkt).toBe(await signer.thumbprint());
  });
});
