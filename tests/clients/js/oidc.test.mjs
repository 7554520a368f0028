// The JS SDK v3 sending OIDC bearer tokens instead of SigV4 signatures (see
// ../run oidc): tokens are signed here with node's crypto using the local
// IdP's key (python/idp.py), and a middleware puts them where the signature
// would go. Roles come from the token's subject and groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateStateMachineCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LIFECYCLE_DEFINITION, ROLE_ARN, expectError, uniqueName, waitForExecution } from './common.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through tests/clients/run ... oidc`);
  return value;
};
const IDP_DIR = env('IDP_DIR');
const IDP_URL = env('IDP_URL');

const b64url = (data) => Buffer.from(data).toString('base64url');

function token(sub, { groups, lifetime = 600, kid = 'k1' } = {}) {
  const key = createPrivateKey(readFileSync(`${IDP_DIR}/${kid}.pem`));
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: IDP_URL, aud: 'stepd', sub, iat: now, exp: now + lifetime };
  if (groups) claims.groups = groups;
  const input = `${b64url(JSON.stringify({ alg: 'ES256', kid }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

// A client whose requests carry `bearer` in place of the SigV4 signature.
function bearerClient(bearer) {
  const client = new SFNClient({
    endpoint: env('SFN_ENDPOINT'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    maxAttempts: 1,
  });
  client.middlewareStack.addRelativeTo((next) => async (args) => {
    args.request.headers.authorization = `Bearer ${bearer}`;
    return next(args);
  }, { relation: 'after', toMiddleware: 'awsAuthMiddleware', name: 'bearerToken' });
  return client;
}

test('an admin by subject creates, an operator by group runs, a viewer is refused 403', async () => {
  const admin = bearerClient(token('admin-user'));
  const { stateMachineArn } = await admin.send(new CreateStateMachineCommand({
    name: uniqueName('oidc-js'), definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
  }));
  const operator = bearerClient(token('olga', { groups: ['ops'] }));
  const { executionArn } = await operator.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify({ ok: true, who: 'olga' }),
  }));
  const d = await waitForExecution(operator, executionArn);
  assert.equal(d.status, 'SUCCEEDED');

  const viewer = bearerClient(token('vera'));
  const listed = await viewer.send(new ListStateMachinesCommand({}));
  assert.ok(listed.stateMachines.some((m) => m.stateMachineArn === stateMachineArn));
  const e = await expectError(() => viewer.send(new StartExecutionCommand({ stateMachineArn })),
    undefined, { status: 403, name: 'AccessDeniedException' });
  assert.match(e.message, /'start' permission/);
});

test('an expired token and a SigV4 signature are 401 UnrecognizedClientException', async () => {
  const expired = bearerClient(token('admin-user', { lifetime: -300 }));
  const e = await expectError(() => expired.send(new ListStateMachinesCommand({})), undefined,
    { status: 401, name: 'UnrecognizedClientException' });
  assert.match(e.message, /expired/);
  const signed = new SFNClient({
    endpoint: env('SFN_ENDPOINT'), region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDNOTCONFIGURED', secretAccessKey: 'x' },
  });
  await expectError(() => signed.send(new ListStateMachinesCommand({})), undefined,
    { status: 401, name: 'UnrecognizedClientException' });
});
