// @aws-sdk/client-sfn against stepd: EXPRESS machines, StartSyncExecution.
// The SDK puts "sync-" before the host of StartSyncExecution, which cannot
// resolve for a local endpoint: disableHostPrefix turns that off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineTypeNotSupported,
} from '@aws-sdk/client-sfn';
import { ROLE_ARN, expectError, makeClient, makeSyncClient, uniqueName } from './common.mjs';

const client = makeClient();
const syncClient = makeSyncClient();

const definition = JSON.stringify({
  StartAt: 'Double',
  States: {
    Double: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, $.n)' }, Next: 'Check' },
    Check: {
      Type: 'Choice',
      Choices: [{ Variable: '$.n', NumericGreaterThan: 100, Next: 'TooBig' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed' },
    TooBig: { Type: 'Fail', Error: 'TooBig', Cause: 'n over 100' },
  },
});

describe('express', { concurrency: true }, () => {
  test('StartSyncExecution answers the ended execution', async () => {
    const { stateMachineArn } = await client.send(new CreateStateMachineCommand({
      name: uniqueName('js-express'), definition, roleArn: ROLE_ARN, type: 'EXPRESS',
    }));
    const ok = await syncClient.send(new StartSyncExecutionCommand({
      stateMachineArn, name: 'doubled', input: '{"n":21}',
    }));
    assert.equal(ok.status, 'SUCCEEDED');
    assert.equal(ok.output, '{"n":42}');
    assert.ok(ok.executionArn.includes(':express:'));
    assert.ok(ok.stopDate instanceof Date && ok.startDate instanceof Date);
    assert.ok(ok.billingDetails.billedDurationInMilliseconds >= 100);

    const failed = await syncClient.send(new StartSyncExecutionCommand({
      stateMachineArn, name: 'doubled', input: '{"n":60}',
    }));
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'TooBig');
    assert.equal(failed.cause, 'n over 100');
    assert.notEqual(failed.executionArn, ok.executionArn); // the same name runs again

    const kept = await client.send(new DescribeExecutionCommand({ executionArn: ok.executionArn }));
    assert.equal(kept.status, 'SUCCEEDED');
  });

  test('StartSyncExecution of a STANDARD machine is refused', async () => {
    const { stateMachineArn } = await client.send(new CreateStateMachineCommand({
      name: uniqueName('js-standard'), definition, roleArn: ROLE_ARN,
    }));
    await expectError(() => syncClient.send(new StartSyncExecutionCommand({ stateMachineArn })),
      StateMachineTypeNotSupported);
  });
});
