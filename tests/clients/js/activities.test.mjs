// @aws-sdk/client-sfn against stepd: activities and their workers
// (GetActivityTask, SendTaskSuccess/Failure/Heartbeat), timeouts and tokens.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ActivityDoesNotExist,
  CreateActivityCommand,
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DescribeActivityCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  InvalidToken,
  ListActivitiesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import {
  ROLE_ARN, expectError, makeClient, sleep, uniqueName, waitForExecution,
} from './common.mjs';

const client = makeClient();

async function createActivity(prefix) {
  const name = uniqueName(prefix);
  const out = await client.send(new CreateActivityCommand({ name }));
  assert.equal(out.activityArn, `arn:aws:states:us-east-1:123456789012:activity:${name}`);
  return out.activityArn;
}

// A machine with one Task on `activityArn`; `task` adds to the Task state.
async function createTaskMachine(prefix, activityArn, task = {}, states = {}) {
  const definition = JSON.stringify({
    StartAt: 'Work',
    States: { Work: { Type: 'Task', Resource: activityArn, End: true, ...task }, ...states },
  });
  return (await client.send(new CreateStateMachineCommand({
    name: uniqueName(prefix), definition, roleArn: ROLE_ARN,
  }))).stateMachineArn;
}

// GetActivityTask; only called when a task is (about to be) scheduled, so the
// long poll answers at once.
async function takeTask(activityArn, workerName = 'js-worker') {
  const task = await client.send(new GetActivityTaskCommand({ activityArn, workerName }));
  assert.equal(typeof task.taskToken, 'string', 'GetActivityTask returned no task');
  assert.ok(task.taskToken.length > 0);
  return { token: task.taskToken, input: JSON.parse(task.input) };
}

describe('activities', { concurrency: true }, () => {
  test('CreateActivity is idempotent; DescribeActivity, ListActivities', async () => {
    const name = uniqueName('js-act');
    const first = await client.send(new CreateActivityCommand({ name }));
    const again = await client.send(new CreateActivityCommand({ name }));
    assert.equal(again.activityArn, first.activityArn);
    assert.equal(again.creationDate.getTime(), first.creationDate.getTime());
    const d = await client.send(new DescribeActivityCommand({ activityArn: first.activityArn }));
    assert.equal(d.activityArn, first.activityArn);
    assert.equal(d.name, name);
    assert.equal(d.creationDate.getTime(), first.creationDate.getTime());
    const seen = [];
    let nextToken;
    do {
      const page = await client.send(new ListActivitiesCommand({ maxResults: 2, nextToken }));
      assert.ok(page.activities.length <= 2);
      seen.push(...page.activities);
      nextToken = page.nextToken;
    } while (nextToken);
    const mine = seen.filter((a) => a.activityArn === first.activityArn);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].name, name);
    assert.ok(mine[0].creationDate instanceof Date);
  });

  test('a worker loop completes several tasks with SendTaskSuccess', async () => {
    const activityArn = await createActivity('js-loop');
    const machineArn = await createTaskMachine('js-loop', activityArn, { ResultPath: '$.result' });
    const executions = [];
    for (let n = 1; n <= 3; n += 1) {
      executions.push((await client.send(new StartExecutionCommand({
        stateMachineArn: machineArn, input: JSON.stringify({ n }),
      }))).executionArn);
    }
    const handled = [];
    for (let i = 0; i < 3; i += 1) {
      const { token, input } = await takeTask(activityArn);
      handled.push(input.n);
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ doubled: input.n * 2 }) }));
    }
    assert.deepEqual(handled.sort(), [1, 2, 3]);
    for (const [i, arn] of executions.entries()) {
      const d = await waitForExecution(client, arn);
      assert.equal(d.status, 'SUCCEEDED');
      assert.deepEqual(JSON.parse(d.output), { n: i + 1, result: { doubled: (i + 1) * 2 } });
    }
    const h = await client.send(new GetExecutionHistoryCommand({ executionArn: executions[0] }));
    const types = h.events.map((e) => e.type);
    assert.deepEqual(types, [
      'ExecutionStarted', 'TaskStateEntered', 'ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded',
      'TaskStateExited', 'ExecutionSucceeded',
    ]);
    const scheduled = h.events[2].activityScheduledEventDetails;
    assert.equal(scheduled.resource, activityArn);
    assert.deepEqual(JSON.parse(scheduled.input), { n: 1 });
    assert.equal(h.events[3].activityStartedEventDetails.workerName, 'js-worker');
    assert.deepEqual(JSON.parse(h.events[4].activitySucceededEventDetails.output), { doubled: 2 });
  });

  test('SendTaskFailure fails the execution with that error and cause', async () => {
    const activityArn = await createActivity('js-fail');
    const machineArn = await createTaskMachine('js-fail', activityArn);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{"job":7}' }));
    const { token, input } = await takeTask(activityArn);
    assert.deepEqual(input, { job: 7 });
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Worker.Broken', cause: 'the disk is full' }));
    const d = await waitForExecution(client, executionArn);
    assert.equal(d.status, 'FAILED');
    assert.equal(d.error, 'Worker.Broken');
    assert.equal(d.cause, 'the disk is full');
    const h = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    assert.equal(h.events[0].type, 'ExecutionFailed');
    const failed = h.events.find((e) => e.type === 'ActivityFailed');
    assert.deepEqual(failed.activityFailedEventDetails, { error: 'Worker.Broken', cause: 'the disk is full' });
  });

  test('SendTaskFailure caught by a Catch', async () => {
    const activityArn = await createActivity('js-catch');
    const machineArn = await createTaskMachine('js-catch', activityArn, {
      Catch: [{ ErrorEquals: ['Worker.Broken'], ResultPath: '$.caught', Next: 'Recovered' }],
    }, { Recovered: { Type: 'Pass', End: true } });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{"job":8}' }));
    const { token } = await takeTask(activityArn);
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Worker.Broken', cause: 'caught me' }));
    const d = await waitForExecution(client, executionArn);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(d.output), { job: 8, caught: { Error: 'Worker.Broken', Cause: 'caught me' } });
  });

  test('SendTaskHeartbeat keeps a slow task with HeartbeatSeconds 2 alive', async () => {
    const activityArn = await createActivity('js-beat');
    const machineArn = await createTaskMachine('js-beat', activityArn, { HeartbeatSeconds: 2, TimeoutSeconds: 30 });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' }));
    const { token } = await takeTask(activityArn);
    const started = Date.now();
    let beats = 0;
    while (Date.now() - started < 5000) { // about 5 s of work, a heartbeat every second
      await sleep(1000);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      beats += 1;
      const d = await waitForExecution(client, executionArn, { until: () => true });
      assert.equal(d.status, 'RUNNING', `the execution ended (${d.error}) although heartbeats came`);
    }
    assert.ok(beats >= 4);
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"slow":true}' }));
    const d = await waitForExecution(client, executionArn);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(d.output), { slow: true });
    assert.ok(d.stopDate - d.startDate >= 5000);
  });

  // A missed heartbeat fails the task with States.Timeout: that is the error
  // AWS records (TaskTimedOut/ActivityTimedOut, ExecutionFailed, Describe);
  // States.HeartbeatTimeout is only a name a Catch or Retry may match.
  test('a worker that never answers: States.Timeout; its token is then spent (TaskTimedOut)', async () => {
    const activityArn = await createActivity('js-silent');
    const machineArn = await createTaskMachine('js-silent', activityArn, { HeartbeatSeconds: 1 });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' }));
    const { token } = await takeTask(activityArn);
    const d = await waitForExecution(client, executionArn, { timeoutMs: 10000 });
    assert.equal(d.status, 'FAILED');
    assert.ok(d.stopDate - d.startDate >= 1000);
    await expectError(() => client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskTimedOut);
    await expectError(() => client.send(new SendTaskHeartbeatCommand({ taskToken: token })), TaskTimedOut);
    await expectError(() => client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Late' })), TaskTimedOut);
    const h = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const timedOut = h.events.find((e) => e.type === 'ActivityTimedOut');
    assert.ok(timedOut, 'no ActivityTimedOut event');
    assert.equal(h.events.at(-1).type, 'ExecutionFailed');
    assert.equal(d.error, 'States.Timeout');
    assert.equal(timedOut.activityTimedOutEventDetails.error, 'States.Timeout');
    assert.equal(h.events.at(-1).executionFailedEventDetails.error, 'States.Timeout');
  });

  test('catchers of States.Timeout and of States.HeartbeatTimeout catch a missed heartbeat', async () => {
    const run = async (prefix, errorEquals) => {
      const activityArn = await createActivity(prefix);
      const machineArn = await createTaskMachine(prefix, activityArn, {
        HeartbeatSeconds: 1,
        Catch: [{ ErrorEquals: errorEquals, ResultPath: '$.caught', Next: 'Recovered' }],
      }, { Recovered: { Type: 'Pass', End: true } });
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' }));
      await takeTask(activityArn);
      return waitForExecution(client, executionArn, { timeoutMs: 10000 });
    };
    const [byTimeout, byHeartbeat] = await Promise.all([
      run('js-catch-timeout', ['States.Timeout']),
      run('js-catch-heartbeat', ['States.HeartbeatTimeout']),
    ]);
    assert.equal(byTimeout.status, 'SUCCEEDED', `States.Timeout catcher: ${byTimeout.error}`);
    assert.equal(JSON.parse(byTimeout.output).caught.Error, 'States.Timeout');
    assert.equal(byHeartbeat.status, 'SUCCEEDED', `States.HeartbeatTimeout catcher: ${byHeartbeat.error}`);
  });

  test('TimeoutSeconds: States.Timeout', async () => {
    const activityArn = await createActivity('js-task-timeout');
    const machineArn = await createTaskMachine('js-task-timeout', activityArn, { TimeoutSeconds: 1 });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' }));
    const { token } = await takeTask(activityArn);
    const d = await waitForExecution(client, executionArn, { timeoutMs: 10000 });
    assert.equal(d.status, 'FAILED');
    assert.equal(d.error, 'States.Timeout');
    await expectError(() => client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskTimedOut);
  });

  test('a token already answered is spent (TaskTimedOut); a made-up one is InvalidToken', async () => {
    const activityArn = await createActivity('js-spent');
    const machineArn = await createTaskMachine('js-spent', activityArn);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: '{}' }));
    const { token } = await takeTask(activityArn);
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"first":true}' }));
    await expectError(() => client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"second":true}' })),
      TaskTimedOut);
    const d = await waitForExecution(client, executionArn);
    assert.equal(d.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(d.output), { first: true });

    for (const taskToken of ['made-up-token', 'x'.repeat(500)]) {
      await expectError(() => client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })), InvalidToken);
      await expectError(() => client.send(new SendTaskFailureCommand({ taskToken })), InvalidToken);
      await expectError(() => client.send(new SendTaskHeartbeatCommand({ taskToken })), InvalidToken);
    }
  });

  test('DeleteActivity twice is fine; GetActivityTask on it then is ActivityDoesNotExist', async () => {
    const activityArn = await createActivity('js-del');
    await client.send(new DeleteActivityCommand({ activityArn }));
    await client.send(new DeleteActivityCommand({ activityArn }));
    await expectError(() => client.send(new GetActivityTaskCommand({ activityArn })), ActivityDoesNotExist);
    await expectError(() => client.send(new DescribeActivityCommand({ activityArn })), ActivityDoesNotExist);
  });
});
