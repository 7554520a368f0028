// What the JS suites share: a client for the stepd under test, unique names,
// polling until an execution ends, and the test machines' definitions.
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { SFNClient, DescribeExecutionCommand } from '@aws-sdk/client-sfn';

export const ENDPOINT = process.env.SFN_ENDPOINT;
if (!ENDPOINT) throw new Error('SFN_ENDPOINT is not set: run through tests/clients/run');

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/stepd-client-tests';

export function makeClient(credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIDCLIENTTESTS',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'clients-secret',
}) {
  return new SFNClient({
    endpoint: ENDPOINT,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1, // a retried request would hide what the server answered first
  });
}

// A client for StartSyncExecution and TestState: the SDK sends those to the
// host "sync-<endpoint host>", which cannot resolve for a local endpoint;
// disableHostPrefix keeps the endpoint's own host.
export function makeSyncClient() {
  return new SFNClient({
    endpoint: ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDCLIENTTESTS', secretAccessKey: 'clients-secret' },
    maxAttempts: 1,
    disableHostPrefix: true,
  });
}

export function uniqueName(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls DescribeExecution until the execution leaves RUNNING (or `until`
// holds), failing after `timeoutMs`.
export async function waitForExecution(client, executionArn, {
  timeoutMs = 20000,
  until = (d) => d.status !== 'RUNNING',
} = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (until(d)) return d;
    if (Date.now() > deadline) {
      assert.fail(`execution ${executionArn} still ${d.status} after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

// Runs `fn` and checks that it rejects with the SDK's exception class `cls`
// (and so its name), HTTP status `status`; returns the error.
export async function expectError(fn, cls, { status = 400, name = cls?.name } = {}) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${name}, but the call succeeded`);
  assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
  if (cls) assert.ok(error instanceof cls, `${error.name} is not an instance of ${cls.name}`);
  assert.equal(error.$metadata?.httpStatusCode, status);
  assert.equal(error.$fault, status >= 500 ? 'server' : 'client');
  return error;
}

// Pass -> Wait 1 s -> Choice on $.ok -> Succeed | Fail.
export const LIFECYCLE_DEFINITION = JSON.stringify({
  Comment: 'stepd client test: the lifecycle machine',
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Parameters: { 'ok.$': '$.ok', 'who.$': '$.who', greeting: 'hello' }, Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'Decide' },
    Decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }],
      Default: 'Refuse',
    },
    Done: { Type: 'Succeed' },
    Refuse: { Type: 'Fail', Error: 'NotOk', Cause: 'ok was not true' },
  },
});

// A machine that waits long enough to be stopped.
export function waitDefinition(seconds) {
  return JSON.stringify({
    StartAt: 'Hold',
    States: { Hold: { Type: 'Wait', Seconds: seconds, End: true } },
  });
}
