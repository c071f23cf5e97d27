// node-oidc-provider as cargo xtask bench runs it beside IntelliAuth: in memory, one
// confidential client for client credentials (ES256 JWT access tokens for one resource
// server) and introspection, and one public SPA for the code flow with PKCE and rotating
// refresh tokens, whose interaction finishes at once: the bench account is signed in and
// granted what it asked, as IntelliAuth's first-party SPA with a session is. With PEER_WORKERS (default 2), one process per core through node:cluster, so the
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
    }, {
      client_id: 'bench-spa',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:4000/callback'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    }],
    findAccount: (ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Like IntelliAuth's exchange with offline_access: a refresh token with every code.
    issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
    jwks: { keys: [jwk] },
    scopes: ['openid', 'offline_access', 'bench'],
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The SPA's tokens are for userinfo (opaque, kept by the provider); client
        // credentials are for the bench API.
        defaultResource: (ctx, client) => (client.clientId === 'bench' ? 'urn:intelliauth:bench' : undefined),
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
  // The interaction: sign the bench account in and grant what the client asked.
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const { params, grantId } = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: 'bench', clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    const result = { login: { accountId: 'bench' }, consent: { grantId: await grant.save() } };
    ctx.status = 303;
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });
  const server = provider.listen(port, '127.0.0.1', () => {
    if (process.send) process.send('ready');
    else console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
}
