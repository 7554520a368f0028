// @aws-sdk/client-eventbridge against stepd's EventBridge connection
// operations: each authorization type (OAuth against a token endpoint served
// here on 127.0.0.1), describe, list, update, deauthorize, delete and
// EventBridge's errors; then HTTP tasks (@aws-sdk/client-sfn) that call a
// local service with a connection's credentials. No secret value may appear
// in any answer of either API: every answer and error is recorded and
// searched, besides the checks each test makes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  CreateConnectionCommand,
  DeauthorizeConnectionCommand,
  DeleteConnectionCommand,
  DescribeConnectionCommand,
  EventBridgeClient,
  ListConnectionsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  ENDPOINT, ROLE_ARN, expectError, makeClient, sleep, uniqueName, waitForExecution,
} from './common.mjs';

const ARN_PREFIX = 'arn:aws:events:us-east-1:123456789012:connection/';
const SECRET_ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/';

// Secret values distinctive enough that finding one anywhere is a leak; the
// run's id keeps them apart from any other run's.
const run = randomUUID().slice(0, 8);
const SECRET = {
  apiKey: `js-canary-apikey-${run}`,
  wrongApiKey: `js-canary-wrongkey-${run}`,
  password: `js-canary-password-${run}`,
  newPassword: `js-canary-password2-${run}`,
  wrongPassword: `js-canary-wrongpw-${run}`,
  clientSecret: `js-canary-clientsecret-${run}`,
  wrongClientSecret: `js-canary-wrongcs-${run}`,
  header: `js-canary-header-${run}`,
  invalid: `js-canary-invalid-${run}`,
};
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
// Also secret: what a request carries made of them, and the tokens issued.
const tokensIssued = [];
const secretValues = () => [
  ...Object.values(SECRET),
  basic('ada', SECRET.password), basic('ada', SECRET.newPassword), basic('ada', SECRET.wrongPassword),
  basic('js-client', SECRET.clientSecret), basic('js-client', SECRET.wrongClientSecret),
  ...tokensIssued,
];

// Asserts that none of the secret values is in `what` (as JSON).
function assertNoSecret(what, label) {
  const text = typeof what === 'string' ? what : JSON.stringify(what);
  for (const value of secretValues()) {
    assert.ok(!text.includes(value), `${label}: contains the secret ${value}: ${text}`);
  }
}

// Every answer and error either client received, as JSON.
const answers = [];
function recordAnswers(client) {
  client.middlewareStack.add((next) => async (args) => {
    try {
      const result = await next(args);
      answers.push(JSON.stringify(result.output));
      return result;
    } catch (error) {
      answers.push(JSON.stringify({ name: error.name, message: error.message, ...error }));
      throw error;
    }
  }, { step: 'initialize', name: 'recordAnswers' });
  return client;
}

const events = recordAnswers(new EventBridgeClient({
  endpoint: ENDPOINT,
  region: 'us-east-1',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIDCLIENTTESTS',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'clients-secret',
  },
  maxAttempts: 1, // a retried request would hide what the server answered first
}));
const sfn = recordAnswers(makeClient());

// Serves `handler` on 127.0.0.1, a free port; the server's base URL.
const servers = [];
async function serve(handler) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// An OAuth client-credentials token endpoint that knows one client,
// js-client with SECRET.clientSecret. A refusal quotes the secret it was
// sent, as a careless endpoint might: stepd must not pass that on.
const tokenRequests = [];
function tokenEndpoint(req, body, res) {
  tokenRequests.push({ method: req.method, url: req.url, headers: req.headers, body });
  if (req.headers.authorization !== basic('js-client', SECRET.clientSecret)) {
    const sent = Buffer.from((req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString();
    return answer(res, 401, { error: 'invalid_client', error_description: `unknown client ${sent}` });
  }
  const token = `js-canary-token-${run}-${tokensIssued.length + 1}`;
  tokensIssued.push(token);
  answer(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
}

// The service HTTP tasks call: each path accepts one credential and answers
// 403 to anything else, so a task succeeds only with the right one.
const serviceRequests = [];
const SERVICE_CHECKS = {
  '/apikey': (h) => h['x-api-key'] === SECRET.apiKey && h['x-signature'] === SECRET.header,
  '/basic': (h) => h.authorization === basic('ada', SECRET.password),
  '/oauth': (h) => tokensIssued.length > 0 && h.authorization === `Bearer ${tokensIssued.at(-1)}`,
};
function service(req, body, res) {
  serviceRequests.push({ method: req.method, url: req.url, headers: req.headers, body });
  const check = SERVICE_CHECKS[req.url];
  if (check && check(req.headers)) return answer(res, 200, { authorized: true, path: req.url });
  answer(res, 403, { message: 'wrong credentials' });
}

let tokenUrl;
let serviceUrl;
before(async () => {
  tokenUrl = `${await serve(tokenEndpoint)}/oauth/token`;
  serviceUrl = await serve(service);
});

after(() => {
  for (const server of servers) server.close();
  // What the search must find, or it could pass by reading nothing.
  const all = answers.join('\n');
  for (const expected of ['ConnectionArn', 'ApiKeyName', 'ClientID', 'TaskSucceeded', 'ResourceNotFoundException']) {
    assert.ok(all.includes(expected), `no answer contains ${expected}`);
  }
  for (const text of answers) assertNoSecret(text, 'an answer');
});

const send = (command) => events.send(command);

// Polls DescribeConnection until the connection is in `state`.
async function waitForState(name, state, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await send(new DescribeConnectionCommand({ Name: name }));
    if (d.ConnectionState === state) return d;
    if (Date.now() > deadline) assert.fail(`connection ${name} still ${d.ConnectionState} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

test('API_KEY: created AUTHORIZED and described without the key value', async () => {
  const name = uniqueName('js-key');
  const created = await send(new CreateConnectionCommand({
    Name: name,
    Description: 'orders API',
    AuthorizationType: 'API_KEY',
    AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRET.apiKey } },
  }));
  assert.ok(created.ConnectionArn.startsWith(`${ARN_PREFIX}${name}/`), created.ConnectionArn);
  assert.equal(created.ConnectionState, 'AUTHORIZED');
  assert.ok(created.CreationTime instanceof Date);
  assertNoSecret(created, 'CreateConnection');

  const d = await send(new DescribeConnectionCommand({ Name: name }));
  assert.equal(d.ConnectionArn, created.ConnectionArn);
  assert.equal(d.Name, name);
  assert.equal(d.Description, 'orders API');
  assert.equal(d.AuthorizationType, 'API_KEY');
  assert.equal(d.ConnectionState, 'AUTHORIZED');
  assert.equal(d.StateReason, undefined);
  assert.deepEqual(d.AuthParameters, { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key' } });
  assert.ok(d.SecretArn.startsWith(`${SECRET_ARN_PREFIX}${name}/`), d.SecretArn);
  assert.ok(d.LastAuthorizedTime instanceof Date);
  assertNoSecret(d, 'DescribeConnection');

  const deleted = await send(new DeleteConnectionCommand({ Name: name }));
  assert.equal(deleted.ConnectionState, 'DELETING');
});

test('BASIC: create, describe, update, deauthorize, authorize again, delete', async () => {
  const name = uniqueName('js-basic');
  const created = await send(new CreateConnectionCommand({
    Name: name,
    Description: 'billing',
    AuthorizationType: 'BASIC',
    AuthParameters: {
      BasicAuthParameters: { Username: 'ada', Password: SECRET.password },
      InvocationHttpParameters: {
        HeaderParameters: [
          { Key: 'X-Tenant', Value: 'acme', IsValueSecret: false },
          { Key: 'X-Signature', Value: SECRET.header, IsValueSecret: true },
        ],
        QueryStringParameters: [{ Key: 'region', Value: 'eu', IsValueSecret: false }],
      },
    },
  }));
  const arn = created.ConnectionArn;
  assert.equal(created.ConnectionState, 'AUTHORIZED');

  const d = await send(new DescribeConnectionCommand({ Name: name }));
  assert.equal(d.AuthorizationType, 'BASIC');
  assert.equal(d.ConnectionState, 'AUTHORIZED');
  assert.deepEqual(d.AuthParameters.BasicAuthParameters, { Username: 'ada' });
  // A secret parameter is described without its value, the others with it.
  assert.deepEqual(d.AuthParameters.InvocationHttpParameters.HeaderParameters, [
    { Key: 'X-Tenant', Value: 'acme', IsValueSecret: false },
    { Key: 'X-Signature', IsValueSecret: true },
  ]);
  assert.deepEqual(d.AuthParameters.InvocationHttpParameters.QueryStringParameters, [
    { Key: 'region', Value: 'eu', IsValueSecret: false },
  ]);
  assertNoSecret(d, 'DescribeConnection');

  // A new password; the members not given are kept.
  const updated = await send(new UpdateConnectionCommand({
    Name: name,
    Description: 'billing, rotated',
    AuthParameters: { BasicAuthParameters: { Password: SECRET.newPassword } },
  }));
  assert.equal(updated.ConnectionArn, arn);
  assert.equal(updated.ConnectionState, 'AUTHORIZED');
  assert.ok(updated.LastModifiedTime >= d.LastModifiedTime);
  assertNoSecret(updated, 'UpdateConnection');
  const afterUpdate = await send(new DescribeConnectionCommand({ Name: name }));
  assert.equal(afterUpdate.Description, 'billing, rotated');
  assert.deepEqual(afterUpdate.AuthParameters.BasicAuthParameters, { Username: 'ada' });
  assert.deepEqual(afterUpdate.AuthParameters.InvocationHttpParameters,
    d.AuthParameters.InvocationHttpParameters);
  assertNoSecret(afterUpdate, 'DescribeConnection');

  // Deauthorizing removes every parameter: no secret ARN, no AuthParameters.
  const deauthorized = await send(new DeauthorizeConnectionCommand({ Name: name }));
  assert.equal(deauthorized.ConnectionArn, arn);
  assert.equal(deauthorized.ConnectionState, 'DEAUTHORIZING');
  const gone = await waitForState(name, 'DEAUTHORIZED');
  assert.equal(gone.AuthParameters, undefined);
  assert.equal(gone.SecretArn, undefined);
  assert.equal(gone.AuthorizationType, 'BASIC');
  // ... so an update must give them all again.
  const incomplete = await expectError(() => send(new UpdateConnectionCommand({
    Name: name, AuthParameters: { BasicAuthParameters: { Password: SECRET.password } },
  })), null, { name: 'ValidationException' });
  assert.match(incomplete.message,
    /'authParameters\.basicAuthParameters\.username' failed to satisfy constraint: Member must not be null/);
  const again = await send(new UpdateConnectionCommand({
    Name: name, AuthParameters: { BasicAuthParameters: { Username: 'grace', Password: SECRET.password } },
  }));
  assert.equal(again.ConnectionState, 'AUTHORIZED');
  const reauthorized = await send(new DescribeConnectionCommand({ Name: name }));
  assert.deepEqual(reauthorized.AuthParameters, { BasicAuthParameters: { Username: 'grace' } });
  assert.ok(reauthorized.SecretArn.startsWith(`${SECRET_ARN_PREFIX}${name}/`));

  const deleted = await send(new DeleteConnectionCommand({ Name: name }));
  assert.equal(deleted.ConnectionArn, arn);
  assert.equal(deleted.ConnectionState, 'DELETING');
  await expectError(() => send(new DescribeConnectionCommand({ Name: name })), ResourceNotFoundException);
});

test('OAUTH_CLIENT_CREDENTIALS: the client credentials are exchanged for a token at the endpoint', async () => {
  const name = uniqueName('js-oauth');
  const requestsBefore = tokenRequests.length;
  const created = await send(new CreateConnectionCommand({
    Name: name,
    AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
    AuthParameters: {
      OAuthParameters: {
        ClientParameters: { ClientID: 'js-client', ClientSecret: SECRET.clientSecret },
        AuthorizationEndpoint: tokenUrl,
        HttpMethod: 'POST',
        OAuthHttpParameters: { BodyParameters: [{ Key: 'scope', Value: 'orders:read', IsValueSecret: false }] },
      },
    },
  }));
  assert.equal(created.ConnectionState, 'AUTHORIZING');
  const d = await waitForState(name, 'AUTHORIZED');
  assert.ok(d.LastAuthorizedTime instanceof Date);
  assert.deepEqual(d.AuthParameters.OAuthParameters.ClientParameters, { ClientID: 'js-client' });
  assert.equal(d.AuthParameters.OAuthParameters.AuthorizationEndpoint, tokenUrl);
  assert.equal(d.AuthParameters.OAuthParameters.HttpMethod, 'POST');
  assertNoSecret(d, 'DescribeConnection');

  // One token request: the client credentials as Basic, the form body with
  // the connection's parameter and the grant type.
  assert.equal(tokenRequests.length, requestsBefore + 1);
  const request = tokenRequests[requestsBefore];
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/oauth/token');
  assert.equal(request.headers.authorization, basic('js-client', SECRET.clientSecret));
  assert.match(request.headers['content-type'], /^application\/x-www-form-urlencoded/);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body)),
    { scope: 'orders:read', grant_type: 'client_credentials' });
  await send(new DeleteConnectionCommand({ Name: name }));
});

test('OAUTH_CLIENT_CREDENTIALS refused by the endpoint: DEAUTHORIZED, the reason quoting no secret', async () => {
  const name = uniqueName('js-oauth-refused');
  const created = await send(new CreateConnectionCommand({
    Name: name,
    AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
    AuthParameters: {
      OAuthParameters: {
        ClientParameters: { ClientID: 'js-client', ClientSecret: SECRET.wrongClientSecret },
        AuthorizationEndpoint: tokenUrl,
        HttpMethod: 'POST',
      },
    },
  }));
  assert.equal(created.ConnectionState, 'AUTHORIZING');
  const d = await waitForState(name, 'DEAUTHORIZED');
  assert.match(d.StateReason, /401/);
  assert.match(d.StateReason, /invalid_client/);
  assert.equal(d.LastAuthorizedTime, undefined);
  assertNoSecret(d, 'DescribeConnection');
  // The endpoint did quote it: the search above looks for the right thing.
  assert.ok(JSON.stringify(tokenRequests).includes(basic('js-client', SECRET.wrongClientSecret)));

  const listed = await send(new ListConnectionsCommand({ NamePrefix: name }));
  assert.deepEqual(listed.Connections.map((c) => [c.Name, c.ConnectionState, c.StateReason]),
    [[name, 'DEAUTHORIZED', d.StateReason]]);
  await send(new DeleteConnectionCommand({ Name: name }));
});

test('ListConnections: NamePrefix, pages and the state filter', async () => {
  const prefix = uniqueName('js-list');
  const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
  // Created out of order: the listing is by name.
  for (const name of [names[2], names[0], names[1]]) {
    await send(new CreateConnectionCommand({
      Name: name,
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRET.apiKey } },
    }));
  }
  // A name one character short of the prefix is not listed.
  const other = `${prefix.slice(0, -1)}-other`;
  await send(new CreateConnectionCommand({
    Name: other,
    AuthorizationType: 'BASIC',
    AuthParameters: { BasicAuthParameters: { Username: 'u', Password: SECRET.password } },
  }));
  await send(new DeauthorizeConnectionCommand({ Name: names[1] }));

  const all = await send(new ListConnectionsCommand({ NamePrefix: prefix }));
  assert.deepEqual(all.Connections.map((c) => c.Name), names);
  assert.equal(all.NextToken, undefined);
  for (const c of all.Connections) {
    assert.ok(c.ConnectionArn.startsWith(`${ARN_PREFIX}${c.Name}/`));
    assert.equal(c.AuthorizationType, 'API_KEY');
    assert.ok(c.CreationTime instanceof Date);
  }
  assert.deepEqual(all.Connections.map((c) => c.ConnectionState), ['AUTHORIZED', 'DEAUTHORIZED', 'AUTHORIZED']);
  assertNoSecret(all, 'ListConnections');

  const first = await send(new ListConnectionsCommand({ NamePrefix: prefix, Limit: 2 }));
  assert.deepEqual(first.Connections.map((c) => c.Name), names.slice(0, 2));
  assert.equal(typeof first.NextToken, 'string');
  const rest = await send(new ListConnectionsCommand({ NamePrefix: prefix, Limit: 2, NextToken: first.NextToken }));
  assert.deepEqual(rest.Connections.map((c) => c.Name), names.slice(2));
  assert.equal(rest.NextToken, undefined);

  const deauthorized = await send(new ListConnectionsCommand({ NamePrefix: prefix, ConnectionState: 'DEAUTHORIZED' }));
  assert.deepEqual(deauthorized.Connections.map((c) => c.Name), [names[1]]);
  const none = await send(new ListConnectionsCommand({ NamePrefix: `${prefix}-nothing` }));
  assert.deepEqual(none.Connections, []);

  for (const name of [...names, other]) await send(new DeleteConnectionCommand({ Name: name }));
  const afterDelete = await send(new ListConnectionsCommand({ NamePrefix: prefix }));
  assert.deepEqual(afterDelete.Connections, []);
});

test('errors: ResourceNotFoundException, ResourceAlreadyExistsException, ValidationException', async () => {
  const missing = uniqueName('js-none');
  for (const command of [
    new DescribeConnectionCommand({ Name: missing }),
    new UpdateConnectionCommand({ Name: missing, Description: 'x' }),
    new DeauthorizeConnectionCommand({ Name: missing }),
    new DeleteConnectionCommand({ Name: missing }),
  ]) {
    const e = await expectError(() => send(command), ResourceNotFoundException);
    assert.match(e.message, new RegExp(`Connection '${missing}' does not exist`));
  }

  const name = uniqueName('js-dup');
  const auth = { BasicAuthParameters: { Username: 'u', Password: SECRET.password } };
  await send(new CreateConnectionCommand({ Name: name, AuthorizationType: 'BASIC', AuthParameters: auth }));
  const dup = await expectError(() => send(new CreateConnectionCommand({
    Name: name, AuthorizationType: 'API_KEY',
    AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: SECRET.apiKey } },
  })), ResourceAlreadyExistsException);
  assert.match(dup.message, new RegExp(name));
  // The first connection is unchanged.
  assert.equal((await send(new DescribeConnectionCommand({ Name: name }))).AuthorizationType, 'BASIC');

  // EventBridge's model has no ValidationException: the SDK raises its
  // service exception with the name the server sent.
  const invalid = (input) => expectError(() => send(new CreateConnectionCommand(input)), null,
    { name: 'ValidationException' });
  const fresh = uniqueName('js-invalid');
  let e = await invalid({ Name: 'has space', AuthorizationType: 'BASIC', AuthParameters: auth });
  assert.match(e.message, /Value 'has space' at 'name' failed to satisfy constraint/);
  e = await invalid({ Name: 'x'.repeat(65), AuthorizationType: 'BASIC', AuthParameters: auth });
  assert.match(e.message, /at 'name' failed to satisfy constraint: Member must have length less than or equal to 64/);
  e = await invalid({ Name: fresh, AuthorizationType: 'BASIC' });
  assert.match(e.message, /Value null at 'authParameters' failed to satisfy constraint: Member must not be null/);
  e = await invalid({
    Name: fresh, AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u' } },
  });
  assert.match(e.message,
    /'authParameters\.basicAuthParameters\.password' failed to satisfy constraint: Member must not be null/);
  e = await invalid({ Name: fresh, AuthorizationType: 'API_KEY', AuthParameters: auth });
  assert.match(e.message,
    /'authParameters\.basicAuthParameters' failed to satisfy constraint: Member must not be set for authorization type API_KEY/);
  e = await invalid({
    Name: fresh,
    AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
    AuthParameters: {
      OAuthParameters: {
        ClientParameters: { ClientID: 'c', ClientSecret: SECRET.clientSecret },
        AuthorizationEndpoint: 'http://auth.example.com/token', // plain http beyond loopback
        HttpMethod: 'POST',
      },
    },
  });
  assert.match(e.message, /at 'authParameters\.oAuthParameters\.authorizationEndpoint' failed to satisfy constraint/);
  // A secret that breaks its pattern is refused without being quoted.
  e = await invalid({
    Name: fresh, AuthorizationType: 'BASIC',
    AuthParameters: { BasicAuthParameters: { Username: 'u', Password: `${SECRET.invalid}:colon` } },
  });
  assert.match(e.message, /Value at 'authParameters\.basicAuthParameters\.password' failed to satisfy constraint/);
  e = await invalid({
    Name: fresh, AuthorizationType: 'BASIC',
    AuthParameters: {
      ...auth,
      InvocationHttpParameters: {
        HeaderParameters: [{ Key: 'X-Signature', Value: `${SECRET.invalid}\r\nX-Injected: 1`, IsValueSecret: true }],
      },
    },
  });
  assert.match(e.message, /at 'authParameters\.invocationHttpParameters\.headerParameters\.1\.member\.value' failed/);
  assertNoSecret(e, 'ValidationException');
  // Nothing refused was created.
  await expectError(() => send(new DescribeConnectionCommand({ Name: fresh })), ResourceNotFoundException);

  e = await expectError(() => send(new ListConnectionsCommand({ Limit: 0 })), null, { name: 'ValidationException' });
  assert.match(e.message, /at 'limit' failed to satisfy constraint/);
  await send(new DeleteConnectionCommand({ Name: name }));
});

// --- HTTP tasks calling the local service with a connection -------------------

// Runs a one-state machine that POSTs to `path` with the connection `arn`;
// DescribeExecution's answer and the history's JSON.
async function runHttpTask(arn, path) {
  const definition = JSON.stringify({
    StartAt: 'Call',
    States: {
      Call: {
        Type: 'Task',
        Resource: 'arn:aws:states:::http:invoke',
        Parameters: {
          ApiEndpoint: `${serviceUrl}${path}`,
          Method: 'POST',
          RequestBody: { 'order.$': '$.order' },
          Authentication: { ConnectionArn: arn },
        },
        End: true,
      },
    },
  });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name: uniqueName('js-http'), definition, roleArn: ROLE_ARN,
  }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify({ order: 42 }),
  }));
  await waitForExecution(sfn, executionArn);
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const { events: history } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const historyJson = JSON.stringify(history);
  // What the secret search must find, or it could find nothing at all.
  assert.ok(historyJson.includes(arn), 'the history does not name the connection');
  assert.ok(historyJson.includes(path), 'the history does not name the endpoint');
  assertNoSecret(historyJson, 'GetExecutionHistory');
  assertNoSecret(described, 'DescribeExecution');
  return { described, historyJson };
}

// The requests the service received on `path` since `since`.
const receivedSince = (since, path) => serviceRequests.slice(since).filter((r) => r.url === path);

async function createConnection(name, type, authParameters) {
  const { ConnectionArn } = await send(new CreateConnectionCommand({
    Name: name, AuthorizationType: type, AuthParameters: authParameters,
  }));
  await waitForState(name, 'AUTHORIZED');
  return ConnectionArn;
}

const E2E_CASES = [
  {
    type: 'API_KEY',
    path: '/apikey',
    auth: (value) => ({
      ApiKeyAuthParameters: { ApiKeyName: 'X-Api-Key', ApiKeyValue: value },
      InvocationHttpParameters: {
        HeaderParameters: [{ Key: 'X-Signature', Value: SECRET.header, IsValueSecret: true }],
      },
    }),
    right: SECRET.apiKey,
    wrong: SECRET.wrongApiKey,
    sent: (headers) => [headers['x-api-key'], headers['x-signature']],
    expected: (value) => [value, SECRET.header],
  },
  {
    type: 'BASIC',
    path: '/basic',
    auth: (value) => ({ BasicAuthParameters: { Username: 'ada', Password: value } }),
    right: SECRET.password,
    wrong: SECRET.wrongPassword,
    sent: (headers) => [headers.authorization],
    expected: (value) => [basic('ada', value)],
  },
];

for (const c of E2E_CASES) {
  test(`${c.type}: an HTTP task carries the connection's credentials to the service, and only there`, async () => {
    const arn = await createConnection(uniqueName(`js-e2e-${c.type.toLowerCase()}`), c.type, c.auth(c.right));
    let since = serviceRequests.length;
    const { described, historyJson } = await runHttpTask(arn, c.path);
    assert.equal(described.status, 'SUCCEEDED', `${described.error}: ${described.cause}`);
    const output = JSON.parse(described.output);
    assert.equal(output.StatusCode, 200);
    assert.deepEqual(output.ResponseBody, { authorized: true, path: c.path });
    assert.ok(historyJson.includes('TaskSucceeded'));
    const [got] = receivedSince(since, c.path);
    assert.ok(got, `the service received no request on ${c.path}`);
    assert.deepEqual(c.sent(got.headers), c.expected(c.right));
    assert.equal(got.method, 'POST');
    assert.deepEqual(JSON.parse(got.body), { order: 42 });

    // The same task with a wrong credential is refused by the service: the
    // success above was earned.
    const wrongArn = await createConnection(
      uniqueName(`js-e2e-wrong-${c.type.toLowerCase()}`), c.type, c.auth(c.wrong));
    since = serviceRequests.length;
    const refused = await runHttpTask(wrongArn, c.path);
    assert.equal(refused.described.status, 'FAILED');
    assert.equal(refused.described.error, 'States.Http.StatusCode.403');
    assert.deepEqual(JSON.parse(refused.described.cause).ResponseBody, { message: 'wrong credentials' });
    const [wrong] = receivedSince(since, c.path);
    assert.ok(wrong, `the service received no request on ${c.path}`);
    assert.deepEqual(c.sent(wrong.headers), c.expected(c.wrong));
  });
}

test('OAUTH_CLIENT_CREDENTIALS: an HTTP task carries the token to the service', async () => {
  const oauth = (clientSecret) => ({
    OAuthParameters: {
      ClientParameters: { ClientID: 'js-client', ClientSecret: clientSecret },
      AuthorizationEndpoint: tokenUrl,
      HttpMethod: 'POST',
    },
  });
  const arn = await createConnection(
    uniqueName('js-e2e-oauth'), 'OAUTH_CLIENT_CREDENTIALS', oauth(SECRET.clientSecret));
  const since = serviceRequests.length;
  const { described } = await runHttpTask(arn, '/oauth');
  assert.equal(described.status, 'SUCCEEDED', `${described.error}: ${described.cause}`);
  const [got] = receivedSince(since, '/oauth');
  assert.ok(got, 'the service received no request on /oauth');
  assert.equal(got.headers.authorization, `Bearer ${tokensIssued.at(-1)}`);

  // A connection whose credentials the endpoint refused cannot be used: the
  // task fails without calling the service.
  const name = uniqueName('js-e2e-oauth-refused');
  const { ConnectionArn: refusedArn } = await send(new CreateConnectionCommand({
    Name: name, AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: oauth(SECRET.wrongClientSecret),
  }));
  await waitForState(name, 'DEAUTHORIZED');
  const refusedSince = serviceRequests.length;
  const refused = await runHttpTask(refusedArn, '/oauth');
  assert.equal(refused.described.status, 'FAILED');
  assert.equal(refused.described.error, 'Events.ConnectionResource.InvalidConnectionState');
  assert.deepEqual(receivedSince(refusedSince, '/oauth'), []);
});

test('a deauthorized or deleted connection fails the HTTP task without a request', async () => {
  const name = uniqueName('js-e2e-gone');
  const arn = await createConnection(
    name, 'BASIC', { BasicAuthParameters: { Username: 'ada', Password: SECRET.password } });
  const since = serviceRequests.length;
  await send(new DeauthorizeConnectionCommand({ Name: name }));
  const deauthorized = await runHttpTask(arn, '/basic');
  assert.equal(deauthorized.described.status, 'FAILED');
  assert.equal(deauthorized.described.error, 'Events.ConnectionResource.InvalidConnectionState');
  await send(new DeleteConnectionCommand({ Name: name }));
  const deleted = await runHttpTask(arn, '/basic');
  assert.equal(deleted.described.status, 'FAILED');
  assert.equal(deleted.described.error, 'Events.ConnectionResource.ResourceNotFound');
  assert.deepEqual(receivedSince(since, '/basic'), []);
});
