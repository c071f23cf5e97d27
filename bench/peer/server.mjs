// node-oidc-provider as cargo xtask bench runs it beside IntelliAuth: in memory, one
// confidential client for client credentials, ES256 JWT access tokens for one resource
// server. With PEER_WORKERS (default 2), one process per core through node:cluster, so the
// peer has the machine's cores as IntelliAuth does. Prints "listening on http://…" when up.
import cluster from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PEER_PORT ?? 0);
const workers = Number(process.env.PEER_WORKERS ?? 2);

if (cluster.isPrimary && workers > 1) {
  // One key for every worker, so a token any worker signed verifies with the published set.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' });
  let ready = 0;
  for (let n = 0; n < workers; n += 1) {
    cluster.fork({ PEER_JWK: jwk }).on('message', (message) => {
      ready += message === 'ready' ? 1 : 0;
      if (ready === workers) console.log(`listening on http://127.0.0.1:${port}`);
    });
  }
} else {
  const jwk = process.env.PEER_JWK
    ? JSON.parse(process.env.PEER_JWK)
    : { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' };
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'bench',
      client_secret: 'bench-secret-bench-secret-bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [jwk] },
    scopes: ['bench'],
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:intelliauth:bench',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'bench',
          audience: 'urn:intelliauth:bench',
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const server = provider.listen(port, '127.0.0.1', () => {
    if (process.send) process.send('ready');
    else console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
}
