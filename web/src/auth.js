// Sign-in for the console. stepd puts its settings in the page
// (<script id="stepd-config">); `auth.mode` is one of:
//   "none"   local mode: the REST API takes requests without a credential.
//   "oidc"   authorization code flow with PKCE against `issuer`, as the public
//            client `client_id`; the token named by `token` ("id_token" or
//            "access_token") is sent to the REST API as a bearer token, so the
//            user's roles apply to everything the console does.
//   "token"  authentication is on but no console client is configured: the
//            user pastes a bearer token.
// Tokens live in sessionStorage: they end with the tab, and never reach the
// URL after sign-in.

const KEY = 'stepd.console.session';
const PENDING = 'stepd.console.pending';

export function readConfig() {
  const node = document.getElementById('stepd-config');
  try {
    const config = JSON.parse(node ? node.textContent : '{}');
    if (!config.auth) config.auth = { mode: 'none' };
    return config;
  } catch {
    return { auth: { mode: 'none' } };
  }
}

function b64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes = 32) {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const text = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='));
    return JSON.parse(decodeURIComponent(escape(text)));
  } catch {
    return null;
  }
}

export function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

async function discover(issuer) {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`the identity provider's discovery document (${url}) answered ${response.status}`);
  const doc = await response.json();
  if (!doc.authorization_endpoint || !doc.token_endpoint) {
    throw new Error(`the discovery document at ${url} names no authorization or token endpoint`);
  }
  return doc;
}

// The session of this tab: {token, claims, expires_at (ms)} or null.
export function currentSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (!session || !session.token) return null;
    if (session.expires_at && session.expires_at <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

// Keeps `token` for this tab. It expires at its own "exp" when it is a JWT,
// else `expiresIn` seconds from now (the token endpoint's expires_in; 0:
// when stepd refuses it). `claims` name who signed in.
function saveSession(token, { claims, expiresIn = 0 } = {}) {
  const own = claimsOf(token) || {};
  let expiresAt = 0;
  if (own.exp) expiresAt = own.exp * 1000;
  else if (expiresIn) expiresAt = Date.now() + expiresIn * 1000;
  const session = { token, claims: claims || own, expires_at: expiresAt };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function usePastedToken(token) {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  if (!trimmed) throw new Error('paste a bearer token');
  return saveSession(trimmed);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export function displayName(session) {
  if (!session) return '';
  const c = session.claims || {};
  return c.preferred_username || c.email || c.name || c.sub || 'signed in';
}

// Sends the browser to the identity provider. `returnTo` (a hash route) is
// where the console opens after sign-in.
export async function signIn(auth, returnTo) {
  if (!crypto.subtle) {
    throw new Error('sign-in needs a secure page: open the console over HTTPS or on localhost');
  }
  const doc = await discover(auth.issuer);
  const verifier = randomText(48);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomText(24);
  const nonce = randomText(24);
  sessionStorage.setItem(PENDING, JSON.stringify({
    verifier, state, nonce, return_to: returnTo || '', token_endpoint: doc.token_endpoint,
  }));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: auth.client_id,
    redirect_uri: redirectUri(),
    scope: auth.scopes || 'openid profile email',
    state,
    nonce,
    code_challenge: b64url(digest),
    code_challenge_method: 'S256',
  });
  if (auth.audience) {
    params.set('audience', auth.audience);
    params.set('resource', auth.audience);
  }
  location.assign(`${doc.authorization_endpoint}?${params}`);
}

// Finishes a sign-in when the identity provider sent the browser back with
// ?code=&state= (or ?error=). Returns {session, returnTo}, or null when the
// page was not opened by a sign-in. Throws with a readable message when the
// sign-in failed.
export async function completeSignIn(auth) {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  const cleanUrl = redirectUri() + (pending && pending.return_to ? pending.return_to : '#/');
  history.replaceState(null, '', cleanUrl);
  if (query.has('error')) {
    const description = query.get('error_description');
    throw new Error(`sign-in failed: ${query.get('error')}${description ? ` (${description})` : ''}`);
  }
  if (!pending || pending.state !== query.get('state')) {
    throw new Error('sign-in failed: the answer does not belong to a sign-in started here (state mismatch); sign in again');
  }
  const response = await fetch(pending.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code'),
      redirect_uri: redirectUri(),
      client_id: auth.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`sign-in failed: the token endpoint answered ${response.status}` +
      (body.error ? ` ${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : ''));
  }
  if (!body.id_token) throw new Error('sign-in failed: the identity provider returned no id_token');
  const idClaims = claimsOf(body.id_token) || {};
  if (idClaims.nonce !== pending.nonce) throw new Error('sign-in failed: the id_token does not carry this sign-in\'s nonce');
  const token = auth.token === 'access_token' ? body.access_token : body.id_token;
  if (!token) throw new Error(`sign-in failed: the identity provider returned no ${auth.token}`);
  // Who signed in comes from the id_token, whichever token is sent.
  const session = saveSession(token, {
    claims: { ...idClaims, ...(claimsOf(token) || {}) },
    expiresIn: Number(body.expires_in) || 0,
  });
  return { session, returnTo: pending.return_to };
}
