// The JS SDK v3 signing with configured access keys (see ../run sigv4): the
// operator key may start executions but not create state machines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStateMachineCommand, DescribeExecutionCommand, ListStateMachinesCommand, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  LIFECYCLE_DEFINITION, ROLE_ARN, expectError, makeClient, uniqueName, waitForExecution,
} from './common.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through tests/clients/run ... sigv4`);
  return value;
};
const admin = makeClient({ accessKeyId: env('CLIENT_TEST_ADMIN_KEY'), secretAccessKey: env('CLIENT_TEST_ADMIN_SECRET') });
const operator = makeClient({
  accessKeyId: env('CLIENT_TEST_OPERATOR_KEY'), secretAccessKey: env('CLIENT_TEST_OPERATOR_SECRET'),
});

test('the operator key starts executions but may not create state machines', async () => {
  const { stateMachineArn } = await admin.send(new CreateStateMachineCommand({
    name: uniqueName('sig-js'), definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
  }));
  const { executionArn } = await operator.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify({ ok: true, who: 'operator' }),
  }));
  const d = await waitForExecution(operator, executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.equal(JSON.parse(d.output).who, 'operator');
  const listed = await operator.send(new ListStateMachinesCommand({}));
  assert.ok(listed.stateMachines.some((m) => m.stateMachineArn === stateMachineArn));

  const e = await expectError(() => operator.send(new CreateStateMachineCommand({
    name: uniqueName('sig-js-op'), definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
  })), undefined, { status: 403, name: 'AccessDeniedException' });
  assert.match(e.message, /CreateStateMachine/);
});

test('the JS SDK with a wrong secret or an unknown key is refused', async () => {
  const wrong = makeClient({ accessKeyId: env('CLIENT_TEST_OPERATOR_KEY'), secretAccessKey: 'wrong' });
  await expectError(() => wrong.send(new ListStateMachinesCommand({})), undefined,
    { status: 401, name: 'InvalidSignatureException' });
  const stranger = makeClient({ accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' });
  await expectError(() => stranger.send(new DescribeExecutionCommand({
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:a:b',
  })), undefined, { status: 401, name: 'UnrecognizedClientException' });
});
