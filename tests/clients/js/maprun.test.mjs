// @aws-sdk/client-sfn against stepd: a DISTRIBUTED Map's Map Run listed,
// described while it runs, updated, and described once it ended.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeMapRunCommand,
  GetActivityTaskCommand,
  ListMapRunsCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  UpdateMapRunCommand,
} from '@aws-sdk/client-sfn';
import { ROLE_ARN, makeClient, sleep, uniqueName, waitForExecution } from './common.mjs';

const client = makeClient();

async function until(fn, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('map runs', () => {
  test('a DISTRIBUTED Map run is described and updated', async () => {
    const { activityArn } = await client.send(new CreateActivityCommand({ name: uniqueName('js-maprun') }));
    const definition = JSON.stringify({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          Label: 'Items',
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: activityArn, End: true } },
          },
          End: true,
        },
      },
    });
    const { stateMachineArn } = await client.send(new CreateStateMachineCommand({
      name: uniqueName('js-maprun'), definition, roleArn: ROLE_ARN,
    }));
    const { executionArn } = await client.send(new StartExecutionCommand({
      stateMachineArn, input: '[10, 20, 30, 40]',
    }));

    const runs = await until(async () => {
      const out = await client.send(new ListMapRunsCommand({ executionArn }));
      return out.mapRuns.length ? out.mapRuns : null;
    }, 'the Map Run');
    assert.equal(runs.length, 1);
    const { mapRunArn } = runs[0];
    assert.equal(runs[0].executionArn, executionArn);
    assert.ok(mapRunArn.includes(':mapRun:'));
    assert.ok(runs[0].startDate instanceof Date);

    const running = await until(async () => {
      const d = await client.send(new DescribeMapRunCommand({ mapRunArn }));
      return d.executionCounts.running === 1 ? d : null;
    }, 'one running child');
    assert.equal(running.status, 'RUNNING');
    assert.equal(running.maxConcurrency, 1);
    assert.equal(running.executionCounts.total, 4);
    assert.equal(running.executionCounts.pending, 3);
    assert.equal(running.itemCounts.total, 4);

    await client.send(new UpdateMapRunCommand({ mapRunArn, maxConcurrency: 4, toleratedFailureCount: 2 }));
    const updated = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    assert.equal(updated.maxConcurrency, 4);
    assert.equal(updated.toleratedFailureCount, 2);
    await until(async () => {
      const d = await client.send(new DescribeMapRunCommand({ mapRunArn }));
      return d.executionCounts.running === 4;
    }, 'four running children');

    for (let done = 0; done < 4; done += 1) {
      const task = await client.send(new GetActivityTaskCommand({ activityArn, workerName: 'js' }));
      assert.ok(task.taskToken, 'a task for each child');
      await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: task.input }));
    }
    const ended = await waitForExecution(client, executionArn);
    assert.equal(ended.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(ended.output), [10, 20, 30, 40]);
    const finished = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    assert.equal(finished.status, 'SUCCEEDED');
    assert.equal(finished.executionCounts.succeeded, 4);
    assert.ok(finished.stopDate instanceof Date);
  });
});
