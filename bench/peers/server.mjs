// bench/peers/run.sh: panva's oidc-provider (version pinned in package.json / package-lock.json)
// as a client_credentials token endpoint over HTTPS with the certificate licsat made, opaque
// access tokens, the library's default in-memory store, one Node process (its usual deployment).
// Usage: node server.mjs PORT CERT KEY CLIENT_ID CLIENT_SECRET   (token URL: /token)
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const [port, cert, key, clientId, clientSecret] = process.argv.slice(2);
const provider = new Provider(`https://localhost:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider listening on 127.0.0.1:${port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
