// @aws-sdk/client-sfn against stepd: RedriveExecution and ListExecutions'
// redriveFilter. A workflow fails in its last step, an operator redrives it,
// and it succeeds without its first steps running again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionNotRedrivable,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  ROLE_ARN, expectError, makeClient, uniqueName, waitForExecution,
} from './common.mjs';

const client = makeClient();

async function takeTask(activityArn) {
  const task = await client.send(new GetActivityTaskCommand({ activityArn, workerName: 'js' }));
  assert.equal(typeof task.taskToken, 'string', 'GetActivityTask returned no task');
  return task;
}

test('a failed execution is redriven from its failed step to success', async () => {
  const activityArn = (await client.send(new CreateActivityCommand({
    name: uniqueName('js-redrive'),
  }))).activityArn;
  const definition = JSON.stringify({
    StartAt: 'Validate',
    States: {
      Validate: { Type: 'Pass', Result: { valid: true }, ResultPath: '$.validation', Next: 'Export' },
      Export: { Type: 'Task', Resource: activityArn, End: true },
    },
  });
  const stateMachineArn = (await client.send(new CreateStateMachineCommand({
    name: uniqueName('js-redrive'), definition, roleArn: ROLE_ARN,
  }))).stateMachineArn;
  const { executionArn } = await client.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify({ report: 'weekly' }),
  }));
  const first = await takeTask(activityArn);
  await client.send(new SendTaskFailureCommand({
    taskToken: first.taskToken, error: 'Export.Unavailable', cause: 'the warehouse was down',
  }));
  const failed = await waitForExecution(client, executionArn);
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.redriveStatus, 'REDRIVABLE');
  assert.equal(failed.redriveCount, 0);

  const redriven = await client.send(new RedriveExecutionCommand({ executionArn }));
  assert.ok(redriven.redriveDate instanceof Date);
  const running = await client.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(running.status, 'RUNNING');
  assert.equal(running.redriveCount, 1);
  assert.equal(running.redriveStatus, 'NOT_REDRIVABLE');
  assert.equal(running.stopDate, undefined);
  assert.deepEqual(running.redriveDate, redriven.redriveDate);

  const second = await takeTask(activityArn);
  assert.deepEqual(JSON.parse(second.input), JSON.parse(first.input));
  await client.send(new SendTaskSuccessCommand({
    taskToken: second.taskToken, output: JSON.stringify({ rows: 42 }),
  }));
  const done = await waitForExecution(client, executionArn);
  assert.equal(done.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(done.output), { rows: 42 });
  assert.equal(done.redriveCount, 1);

  const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
  const types = events.map((e) => e.type);
  assert.equal(types.filter((t) => t === 'PassStateEntered').length, 1);
  const at = types.indexOf('ExecutionRedriven');
  assert.ok(at > types.indexOf('ExecutionFailed'));
  assert.deepEqual(events[at].executionRedrivenEventDetails, { redriveCount: 1 });
  assert.equal(types[at + 1], 'TaskStateEntered');

  const redrivenList = await client.send(new ListExecutionsCommand({
    stateMachineArn, redriveFilter: 'REDRIVEN',
  }));
  assert.deepEqual(redrivenList.executions.map((e) => e.executionArn), [executionArn]);
  assert.equal(redrivenList.executions[0].redriveCount, 1);
  const never = await client.send(new ListExecutionsCommand({
    stateMachineArn, redriveFilter: 'NOT_REDRIVEN',
  }));
  assert.deepEqual(never.executions, []);

  // A succeeded execution cannot be redriven.
  const error = await expectError(
    () => client.send(new RedriveExecutionCommand({ executionArn })), ExecutionNotRedrivable,
  );
  assert.equal(error.message, 'Execution is SUCCEEDED and cannot be redriven');
});
