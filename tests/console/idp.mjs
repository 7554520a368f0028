// A real OpenID provider for the console's browser tests (oidc-provider),
// on 127.0.0.1 and a free port.
//
// Usage: node idp.mjs DIR
//   Writes DIR/port once it listens: its issuer is http://127.0.0.1:<port>.
//   The console's client, "stepd-console", exists once DIR/console_origin
//   holds stepd's origin ("http://127.0.0.1:8123"): the runner starts this
//   provider first (stepd checks its issuer's keys at start-up), then stepd,
//   then writes that file. The client is read from the file at each lookup.
//
// The client is public (no secret, token_endpoint_auth_method none), must
// use PKCE (S256), may redirect only to <origin>/console/, and its origin
// may call the token endpoint (CORS). Sign-in is oidc-provider's development
// login form: any login name and any password; the login name is the
// token's "sub" and preferred_username, <name>@example.com its email. No
// consent page: the console gets openid, profile and email at once. ID
// tokens are signed RS256 with a key made at start.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node idp.mjs DIR');
  process.exit(2);
}
const CLIENT_ID = 'stepd-console';
const SCOPES = 'openid profile email';

function consoleOrigin() {
  try {
    return readFileSync(join(dir, 'console_origin'), 'utf8').trim();
  } catch {
    return '';
  }
}

function consoleClient() {
  const origin = consoleOrigin();
  if (!origin) return undefined;
  return {
    client_id: CLIENT_ID,
    client_name: 'stepd console (tests)',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${origin}/console/`],
  };
}

// oidc-provider's storage: its models in memory for the life of the
// process; the one client comes from consoleClient().
const storage = new Map();
class Adapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload) {
    storage.set(this.key(id), payload);
    if (this.model === 'Session') storage.set(`SessionUid:${payload.uid}`, id);
  }

  async find(id) {
    if (this.model === 'Client') return id === CLIENT_ID ? consoleClient() : undefined;
    return storage.get(this.key(id));
  }

  async findByUid(uid) {
    const id = storage.get(`SessionUid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const payload = storage.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const [key, payload] of storage) {
      if (payload && typeof payload === 'object' && payload.grantId === grantId) storage.delete(key);
    }
  }
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'idp-rs256', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    adapter: Adapter,
    jwks: { keys: [signingKey] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    // The profile and email claims go into the id_token, which the console
    // shows the user's name from (and sends to stepd).
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: sub,
            name: sub,
            email: `${sub}@example.com`,
            email_verified: true,
          };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true, methods: ['S256'] },
    clientBasedCORS(ctx, origin, client) {
      return client.clientId === CLIENT_ID && origin === consoleOrigin();
    },
    // Granted without a consent page (oidc-provider's recipe for first-party
    // clients).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ||
        ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (!ctx.oidc.session.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(SCOPES);
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, error) => console.error('idp: server_error', error));
  provider.on('authorization.error', (ctx, error) =>
    console.error('idp: authorization.error', error.message, error.error_description || ''));
  provider.on('grant.error', (ctx, error) =>
    console.error('idp: grant.error', error.message, error.error_description || ''));
  server.on('request', provider.callback());
  writeFileSync(join(dir, 'port.tmp'), `${port}\n`);
  renameSync(join(dir, 'port.tmp'), join(dir, 'port'));
  console.log(`idp: ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
