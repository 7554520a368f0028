// The npm package step-function-worker (written for AWS, on aws-sdk v2) as the
// activity worker of executions on stepd: it runs in its own process, as it
// would in production, and completes the tasks of several executions.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CreateActivityCommand, CreateStateMachineCommand, GetExecutionHistoryCommand, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ROLE_ARN, makeClient, uniqueName, waitForExecution } from './common.mjs';

const client = makeClient();
let child;
after(() => child?.kill('SIGTERM'));

test('step-function-worker completes, fails and heartbeats activity tasks', async () => {
  const { activityArn } = await client.send(new CreateActivityCommand({ name: uniqueName('sfw-activity') }));
  const createMachine = async (task) => (await client.send(new CreateStateMachineCommand({
    name: uniqueName('sfw-machine'),
    roleArn: ROLE_ARN,
    definition: JSON.stringify({
      StartAt: 'Work', States: { Work: { Type: 'Task', Resource: activityArn, End: true, ...task } },
    }),
  }))).stateMachineArn;
  const quick = await createMachine({ ResultPath: '$.result', TimeoutSeconds: 30 });
  const slow = await createMachine({ HeartbeatSeconds: 2, TimeoutSeconds: 30 });

  const events = [];
  child = spawn(process.execPath, [fileURLToPath(new URL('./sfw-worker.mjs', import.meta.url))], {
    env: { ...process.env, ACTIVITY_ARN: activityArn, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line)));

  const start = async (stateMachineArn, input) => (await client.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify(input),
  }))).executionArn;
  const doubles = [];
  for (let n = 1; n <= 4; n += 1) doubles.push(await start(quick, { mode: 'double', n }));
  const failing = await start(quick, { mode: 'fail', n: 9 });
  const slowOne = await start(slow, { mode: 'slow', ms: 3500 });

  for (const [i, arn] of doubles.entries()) {
    const d = await waitForExecution(client, arn, { timeoutMs: 30000 });
    assert.equal(d.status, 'SUCCEEDED', `${arn}: ${d.error} ${d.cause}`);
    assert.deepEqual(JSON.parse(d.output), {
      mode: 'double', n: i + 1, result: { doubled: (i + 1) * 2, by: 'step-function-worker' },
    });
  }
  const f = await waitForExecution(client, failing, { timeoutMs: 30000 });
  assert.equal(f.status, 'FAILED');
  // The package sends the Error serialised as JSON (cut to 256 characters) as
  // the error name, and no cause.
  assert.ok(f.error.startsWith('{"stack":"Error: boom 9'), f.error);
  assert.ok(f.error.length <= 256);
  const s = await waitForExecution(client, slowOne, { timeoutMs: 30000 });
  assert.equal(s.status, 'SUCCEEDED', `${s.error} ${s.cause}`);
  assert.deepEqual(JSON.parse(s.output), { slept: 3500 });

  // The worker names its pollers sfw-0 and sfw-1; stepd records who took the task.
  const h = await client.send(new GetExecutionHistoryCommand({ executionArn: doubles[0] }));
  const startedEvent = h.events.find((e) => e.type === 'ActivityStarted');
  assert.match(startedEvent.activityStartedEventDetails.workerName, /^sfw-[01]$/);

  // What the worker itself saw: every answer accepted, no SDK errors.
  const count = (name) => events.filter((e) => e.event === name).length;
  assert.deepEqual(events.filter((e) => e.event === 'error'), []);
  assert.equal(count('task'), 6);
  assert.equal(count('success'), 5);
  assert.equal(count('failure'), 1);
  assert.ok(count('heartbeat') >= 5, `only ${count('heartbeat')} heartbeats were accepted`);

  child.kill('SIGTERM');
  const { code, signal } = await exited;
  assert.ok(code === 0 || signal === 'SIGTERM', `worker exited with ${code} ${signal}`);
});
