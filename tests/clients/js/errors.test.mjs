// @aws-sdk/client-sfn against stepd: every error arrives as the SDK's own
// exception class, with AWS's HTTP status.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidDefinition,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  MissingRequiredParameter,
  ResourceNotFound,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import {
  LIFECYCLE_DEFINITION, ROLE_ARN, expectError, makeClient, uniqueName, waitDefinition, waitForExecution,
} from './common.mjs';

const client = makeClient();
const send = (command) => () => client.send(command);
const MISSING_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:no-such-machine';
const MISSING_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:no-such-machine:no-such-execution';

describe('errors', { concurrency: true }, () => {
  let waitArn; // a machine whose executions stay RUNNING for a while
  let passArn;
  before(async () => {
    waitArn = (await client.send(new CreateStateMachineCommand({
      name: uniqueName('js-err-wait'), definition: waitDefinition(20), roleArn: ROLE_ARN,
    }))).stateMachineArn;
    passArn = (await client.send(new CreateStateMachineCommand({
      name: uniqueName('js-err-pass'), definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
    }))).stateMachineArn;
  });

  test('StateMachineDoesNotExist', async () => {
    const e = await expectError(send(new DescribeStateMachineCommand({ stateMachineArn: MISSING_MACHINE })),
      StateMachineDoesNotExist);
    assert.match(e.message, /no-such-machine/);
    await expectError(send(new StartExecutionCommand({ stateMachineArn: MISSING_MACHINE })), StateMachineDoesNotExist);
    await expectError(send(new UpdateStateMachineCommand({ stateMachineArn: MISSING_MACHINE, definition: LIFECYCLE_DEFINITION })),
      StateMachineDoesNotExist);
    await expectError(send(new ListExecutionsCommand({ stateMachineArn: MISSING_MACHINE })), StateMachineDoesNotExist);
  });

  test('ExecutionDoesNotExist', async () => {
    await expectError(send(new DescribeExecutionCommand({ executionArn: MISSING_EXECUTION })), ExecutionDoesNotExist);
    await expectError(send(new GetExecutionHistoryCommand({ executionArn: MISSING_EXECUTION })), ExecutionDoesNotExist);
    await expectError(send(new StopExecutionCommand({ executionArn: MISSING_EXECUTION })), ExecutionDoesNotExist);
    // A machine that exists, an execution that does not.
    const name = passArn.split(':').at(-1);
    await expectError(send(new DescribeExecutionCommand({
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:${name}:never-started`,
    })), ExecutionDoesNotExist);
  });

  test('InvalidArn: not an ARN, and an ARN of the wrong kind', async () => {
    await expectError(send(new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' })), InvalidArn);
    await expectError(send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })), InvalidArn);
    await expectError(send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })), InvalidArn);
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: passArn, input: '{"ok":true,"who":"x"}' }));
    await expectError(send(new DescribeStateMachineCommand({ stateMachineArn: started.executionArn })), InvalidArn);
    await expectError(send(new DescribeExecutionCommand({ executionArn: passArn })), InvalidArn);
    await waitForExecution(client, started.executionArn);
  });

  test('ExecutionAlreadyExists; the same name and input while RUNNING is idempotent', async () => {
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'dup', input: '{"a":1}' }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'dup', input: '{"a":1}' }));
    assert.equal(again.executionArn, first.executionArn);
    assert.equal(again.startDate.getTime(), first.startDate.getTime());
    const e = await expectError(send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'dup', input: '{"a":2}' })),
      ExecutionAlreadyExists);
    assert.match(e.message, /dup/);
    // Still one execution of that name.
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: waitArn }));
    assert.equal(listed.executions.filter((x) => x.name === 'dup').length, 1);
    await client.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    assert.equal((await waitForExecution(client, first.executionArn)).status, 'ABORTED');
    // Once it has ended, even the same input is refused.
    await expectError(send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'dup', input: '{"a":1}' })),
      ExecutionAlreadyExists);
  });

  test('StateMachineAlreadyExists; an identical create is idempotent', async () => {
    const name = uniqueName('js-err-dup');
    const first = await client.send(new CreateStateMachineCommand({ name, definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN }));
    const again = await client.send(new CreateStateMachineCommand({ name, definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN }));
    assert.equal(again.stateMachineArn, first.stateMachineArn);
    assert.equal(again.creationDate.getTime(), first.creationDate.getTime());
    await expectError(send(new CreateStateMachineCommand({ name, definition: waitDefinition(1), roleArn: ROLE_ARN })),
      StateMachineAlreadyExists);
  });

  test('InvalidDefinition', async () => {
    const bad = [
      '{"StartAt":"Nowhere","States":{"A":{"Type":"Pass","End":true}}}',
      '{"StartAt":"A","States":{"A":{"Type":"Bogus","End":true}}}',
      'this is not JSON',
    ];
    for (const definition of bad) {
      const e = await expectError(send(new CreateStateMachineCommand({
        name: uniqueName('js-err-def'), definition, roleArn: ROLE_ARN,
      })), InvalidDefinition);
      assert.ok(e.message.length > 0);
    }
    await expectError(send(new UpdateStateMachineCommand({ stateMachineArn: passArn, definition: bad[0] })), InvalidDefinition);
  });

  test('InvalidName', async () => {
    for (const name of ['has space', 'a/b', 'x?y', 'star*']) {
      await expectError(send(new CreateStateMachineCommand({ name, definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN })),
        InvalidName);
    }
    await expectError(send(new StartExecutionCommand({ stateMachineArn: passArn, name: 'bad name' })), InvalidName);
  });

  test('InvalidExecutionInput', async () => {
    for (const input of ['not json', '{"a":', '   ']) {
      await expectError(send(new StartExecutionCommand({ stateMachineArn: passArn, input })), InvalidExecutionInput);
    }
  });

  test('ValidationException: a name of 81 characters, maxResults 1001', async () => {
    const e = await expectError(send(new CreateStateMachineCommand({
      name: 'n'.repeat(81), definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
    })), ValidationException);
    assert.match(e.message, /name/);
    // 80 is still allowed.
    const ok = await client.send(new CreateStateMachineCommand({
      name: `${uniqueName('js')}-${'n'.repeat(80 - 12)}`, definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN,
    }));
    assert.equal(ok.stateMachineArn.split(':').at(-1).length, 80);
    await expectError(send(new ListStateMachinesCommand({ maxResults: 1001 })), ValidationException);
    await expectError(send(new ListExecutionsCommand({ stateMachineArn: passArn, maxResults: 1001 })), ValidationException);
    await expectError(send(new StartExecutionCommand({ stateMachineArn: passArn, name: 'e'.repeat(81) })), ValidationException);
  });

  test('ResourceNotFound for tags on an unknown ARN', async () => {
    await expectError(send(new ListTagsForResourceCommand({ resourceArn: MISSING_MACHINE })), ResourceNotFound);
    await expectError(send(new TagResourceCommand({ resourceArn: MISSING_MACHINE, tags: [{ key: 'a', value: 'b' }] })),
      ResourceNotFound);
    await expectError(send(new UntagResourceCommand({ resourceArn: MISSING_MACHINE, tagKeys: ['a'] })), ResourceNotFound);
    await expectError(send(new ListTagsForResourceCommand({
      resourceArn: 'arn:aws:states:us-east-1:123456789012:activity:no-such-activity',
    })), ResourceNotFound);
  });

  test('ValidateStateMachineDefinition answers OK or FAIL with diagnostics', async () => {
    const ok = await client.send(new ValidateStateMachineDefinitionCommand({ definition: LIFECYCLE_DEFINITION }));
    assert.equal(ok.result, 'OK');
    assert.deepEqual(ok.diagnostics, []);
    assert.equal(ok.truncated, false);
    const bad = await client.send(new ValidateStateMachineDefinitionCommand({
      definition: '{"StartAt":"Nowhere","States":{"A":{"Type":"Pass","End":true}}}',
    }));
    assert.equal(bad.result, 'FAIL');
    assert.ok(bad.diagnostics.length >= 1);
    assert.equal(bad.diagnostics[0].severity, 'ERROR');
    assert.equal(typeof bad.diagnostics[0].code, 'string');
    assert.ok(bad.diagnostics[0].message.length > 0);
  });

  test('MissingRequiredParameter: UpdateStateMachine with nothing to update', async () => {
    await expectError(send(new UpdateStateMachineCommand({ stateMachineArn: passArn })), MissingRequiredParameter);
  });
});
