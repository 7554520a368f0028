// @aws-sdk/client-sfn against stepd: a state machine's whole life, executions,
// history, stop, listings with pagination, tags.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import {
  LIFECYCLE_DEFINITION, ROLE_ARN, makeClient, uniqueName, waitDefinition, waitForExecution,
} from './common.mjs';

const client = makeClient();

async function createMachine(name, definition = LIFECYCLE_DEFINITION) {
  const out = await client.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN }));
  assert.equal(out.stateMachineArn, `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`);
  assert.ok(out.creationDate instanceof Date);
  return out.stateMachineArn;
}

async function fullHistory(executionArn, extra = {}) {
  const events = [];
  let nextToken;
  let pages = 0;
  do {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, ...extra }));
    events.push(...page.events);
    nextToken = page.nextToken;
    pages += 1;
    assert.ok(pages < 100, 'history paging does not end');
  } while (nextToken);
  return { events, pages };
}

const SUCCESS_TYPES = [
  'ExecutionStarted',
  'PassStateEntered', 'PassStateExited',
  'WaitStateEntered', 'WaitStateExited',
  'ChoiceStateEntered', 'ChoiceStateExited',
  'SucceedStateEntered', 'SucceedStateExited',
  'ExecutionSucceeded',
];

describe('lifecycle', { concurrency: true }, () => {
  test('create, describe, run to success and failure, read the history', async () => {
    const name = uniqueName('js-life');
    const arn = await createMachine(name);

    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    assert.equal(described.stateMachineArn, arn);
    assert.equal(described.name, name);
    assert.equal(described.status, 'ACTIVE');
    assert.equal(described.type, 'STANDARD');
    assert.equal(described.roleArn, ROLE_ARN);
    assert.equal(described.definition, LIFECYCLE_DEFINITION);
    assert.ok(described.creationDate instanceof Date);
    assert.deepEqual(described.loggingConfiguration, { level: 'OFF', includeExecutionData: false });
    assert.deepEqual(described.tracingConfiguration, { enabled: false });

    const good = await client.send(new StartExecutionCommand({
      stateMachineArn: arn, name: 'good', input: JSON.stringify({ ok: true, who: 'js' }),
    }));
    assert.equal(good.executionArn, `arn:aws:states:us-east-1:123456789012:execution:${name}:good`);
    assert.ok(good.startDate instanceof Date);
    const bad = await client.send(new StartExecutionCommand({
      stateMachineArn: arn, input: JSON.stringify({ ok: false, who: 'js' }),
    }));
    // Without a name the execution gets a UUID.
    assert.match(bad.executionArn, new RegExp(`:execution:${name}:[0-9a-f-]{36}$`));

    const goodDone = await waitForExecution(client, good.executionArn);
    assert.equal(goodDone.status, 'SUCCEEDED');
    assert.equal(goodDone.name, 'good');
    assert.equal(goodDone.stateMachineArn, arn);
    assert.deepEqual(JSON.parse(goodDone.input), { ok: true, who: 'js' });
    assert.deepEqual(JSON.parse(goodDone.output), { ok: true, who: 'js', greeting: 'hello' });
    assert.ok(goodDone.stopDate instanceof Date);
    assert.ok(goodDone.stopDate - goodDone.startDate >= 1000, 'the Wait of 1 s was not waited');
    assert.equal(goodDone.error, undefined);

    const badDone = await waitForExecution(client, bad.executionArn);
    assert.equal(badDone.status, 'FAILED');
    assert.equal(badDone.error, 'NotOk');
    assert.equal(badDone.cause, 'ok was not true');
    assert.equal(badDone.output, undefined);

    // History, oldest first, in one page.
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: good.executionArn }));
    assert.equal(history.nextToken, undefined);
    const { events } = history;
    assert.deepEqual(events.map((e) => e.type), SUCCESS_TYPES);
    events.forEach((e, i) => {
      assert.equal(e.id, i + 1);
      assert.equal(e.previousEventId, i);
      assert.ok(e.timestamp instanceof Date);
    });
    assert.deepEqual(JSON.parse(events[0].executionStartedEventDetails.input), { ok: true, who: 'js' });
    assert.equal(events[0].executionStartedEventDetails.roleArn, ROLE_ARN);
    assert.equal(events[1].stateEnteredEventDetails.name, 'Prepare');
    assert.equal(events[3].stateEnteredEventDetails.name, 'Pause');
    assert.ok(events[4].timestamp - events[3].timestamp >= 1000, 'Wait exited before 1 s');
    assert.deepEqual(JSON.parse(events[9].executionSucceededEventDetails.output),
      { ok: true, who: 'js', greeting: 'hello' });

    // reverseOrder: newest first.
    const reversed = await client.send(new GetExecutionHistoryCommand({
      executionArn: good.executionArn, reverseOrder: true,
    }));
    assert.deepEqual(reversed.events.map((e) => e.id), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert.deepEqual(reversed.events.map((e) => e.type), [...SUCCESS_TYPES].reverse());

    // includeExecutionData: false keeps the events but drops inputs and outputs.
    const bare = await client.send(new GetExecutionHistoryCommand({
      executionArn: good.executionArn, includeExecutionData: false,
    }));
    assert.deepEqual(bare.events.map((e) => e.type), SUCCESS_TYPES);
    assert.equal(bare.events[0].executionStartedEventDetails.input, undefined);
    assert.equal(bare.events[0].executionStartedEventDetails.roleArn, ROLE_ARN);
    assert.equal(bare.events[1].stateEnteredEventDetails.name, 'Prepare');
    assert.equal(bare.events[1].stateEnteredEventDetails.input, undefined);
    assert.equal(bare.events[2].stateExitedEventDetails.output, undefined);
    assert.equal(bare.events[9].executionSucceededEventDetails.output, undefined);

    // Pages of 3: 4 pages, the same events in the same order.
    const paged = await fullHistory(good.executionArn, { maxResults: 3 });
    assert.equal(paged.pages, 4);
    assert.deepEqual(paged.events.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const pagedReverse = await fullHistory(good.executionArn, { maxResults: 4, reverseOrder: true });
    assert.equal(pagedReverse.pages, 3);
    assert.deepEqual(pagedReverse.events.map((e) => e.id), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    // The failed execution's history ends in ExecutionFailed with the Fail state's error.
    const failedHistory = await fullHistory(bad.executionArn);
    const last = failedHistory.events.at(-1);
    assert.equal(last.type, 'ExecutionFailed');
    assert.deepEqual(last.executionFailedEventDetails, { error: 'NotOk', cause: 'ok was not true' });
    assert.ok(failedHistory.events.some((e) => e.type === 'FailStateEntered'));

    // ListExecutions by status.
    const list = async (statusFilter) => (await client.send(new ListExecutionsCommand({
      stateMachineArn: arn, statusFilter,
    }))).executions.map((e) => e.executionArn);
    assert.deepEqual(await list('SUCCEEDED'), [good.executionArn]);
    assert.deepEqual(await list('FAILED'), [bad.executionArn]);
    assert.deepEqual(await list('RUNNING'), []);
    assert.deepEqual((await list(undefined)).sort(), [good.executionArn, bad.executionArn].sort());
    const item = (await client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' })))
      .executions[0];
    assert.equal(item.name, 'good');
    assert.equal(item.status, 'SUCCEEDED');
    assert.equal(item.stateMachineArn, arn);
    assert.ok(item.startDate instanceof Date && item.stopDate instanceof Date);
  });

  test('update: new revisionId, the same one for an update that changes nothing', async () => {
    const arn = await createMachine(uniqueName('js-update'));
    const before = await client.send(new StartExecutionCommand({
      stateMachineArn: arn, input: JSON.stringify({ ok: true, who: 'before' }),
    }));

    const newDefinition = LIFECYCLE_DEFINITION.replace('the lifecycle machine', 'updated once');
    assert.notEqual(newDefinition, LIFECYCLE_DEFINITION);
    const first = await client.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: newDefinition }));
    assert.ok(first.updateDate instanceof Date);
    assert.equal(typeof first.revisionId, 'string');
    assert.ok(first.revisionId.length > 0);

    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    assert.equal(described.definition, newDefinition);
    assert.equal(described.revisionId, first.revisionId);

    const same = await client.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: newDefinition }));
    assert.equal(same.revisionId, first.revisionId, 'an identical update must keep the revisionId');

    const roleChange = await client.send(new UpdateStateMachineCommand({
      stateMachineArn: arn, roleArn: 'arn:aws:iam::123456789012:role/another',
    }));
    assert.notEqual(roleChange.revisionId, first.revisionId);
    const described2 = await client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    assert.equal(described2.roleArn, 'arn:aws:iam::123456789012:role/another');
    assert.equal(described2.definition, newDefinition);
    assert.equal(described2.revisionId, roleChange.revisionId);

    // An execution keeps the definition it started with.
    const after = await client.send(new StartExecutionCommand({
      stateMachineArn: arn, input: JSON.stringify({ ok: true, who: 'after' }),
    }));
    const forBefore = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: before.executionArn }));
    assert.equal(forBefore.stateMachineArn, arn);
    assert.equal(forBefore.definition, LIFECYCLE_DEFINITION);
    assert.ok(forBefore.updateDate instanceof Date);
    const forAfter = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: after.executionArn }));
    assert.equal(forAfter.definition, newDefinition);
    assert.equal(forAfter.revisionId, roleChange.revisionId);
    assert.equal(forAfter.roleArn, 'arn:aws:iam::123456789012:role/another');
    assert.ok(forAfter.name.startsWith('js-update-'));

    for (const e of [before, after]) {
      assert.equal((await waitForExecution(client, e.executionArn)).status, 'SUCCEEDED');
    }
  });

  test('ListStateMachines pages with maxResults 1 over several machines', async () => {
    const prefix = uniqueName('js-page');
    const arns = [];
    for (let i = 0; i < 4; i += 1) arns.push(await createMachine(`${prefix}-${i}`));
    const seen = [];
    let nextToken;
    let pages = 0;
    do {
      const page = await client.send(new ListStateMachinesCommand({ maxResults: 1, nextToken }));
      assert.ok(page.stateMachines.length <= 1, `a page of ${page.stateMachines.length} with maxResults 1`);
      for (const m of page.stateMachines) {
        assert.equal(typeof m.name, 'string');
        // Other suites create EXPRESS machines meanwhile; these four are STANDARD.
        assert.equal(m.type, arns.includes(m.stateMachineArn) ? 'STANDARD' : m.type);
        assert.ok(['STANDARD', 'EXPRESS'].includes(m.type));
        assert.ok(m.creationDate instanceof Date);
        seen.push(m.stateMachineArn);
      }
      nextToken = page.nextToken;
      pages += 1;
      assert.ok(pages < 1000, 'ListStateMachines paging does not end');
    } while (nextToken);
    assert.ok(pages >= 4);
    assert.equal(new Set(seen).size, seen.length, 'a machine was listed twice');
    for (const arn of arns) assert.ok(seen.includes(arn), `${arn} missing from the pages`);
  });

  test('StopExecution aborts a waiting execution and keeps error and cause', async () => {
    const arn = await createMachine(uniqueName('js-stop'), waitDefinition(30));
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"x":1}' }));
    // Stop it once it is parked in the Wait.
    const deadline = Date.now() + 10000;
    for (;;) {
      const h = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
      if (h.events.some((e) => e.type === 'WaitStateEntered')) break;
      assert.ok(Date.now() < deadline, 'the execution never entered its Wait');
      await new Promise((r) => setTimeout(r, 50));
    }
    const running = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
    assert.deepEqual(running.executions.map((e) => e.executionArn), [started.executionArn]);

    const stopped = await client.send(new StopExecutionCommand({
      executionArn: started.executionArn, error: 'Operator.Stop', cause: 'stopped by the JS client test',
    }));
    assert.ok(stopped.stopDate instanceof Date);
    const d = await waitForExecution(client, started.executionArn);
    assert.equal(d.status, 'ABORTED');
    assert.equal(d.error, 'Operator.Stop');
    assert.equal(d.cause, 'stopped by the JS client test');
    assert.ok(d.stopDate instanceof Date);
    assert.ok(d.stopDate - d.startDate < 30000);

    const h = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true }));
    assert.equal(h.events[0].type, 'ExecutionAborted');
    assert.deepEqual(h.events[0].executionAbortedEventDetails,
      { error: 'Operator.Stop', cause: 'stopped by the JS client test' });

    const aborted = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'ABORTED' }));
    assert.deepEqual(aborted.executions.map((e) => e.executionArn), [started.executionArn]);
    const stillRunning = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
    assert.deepEqual(stillRunning.executions, []);
  });

  test('ListExecutions pages with maxResults and nextToken', async () => {
    const arn = await createMachine(uniqueName('js-execpage'), JSON.stringify({
      StartAt: 'P', States: { P: { Type: 'Pass', End: true } },
    }));
    const started = [];
    for (let i = 0; i < 5; i += 1) {
      started.push((await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: `e${i}` }))).executionArn);
    }
    for (const e of started) assert.equal((await waitForExecution(client, e)).status, 'SUCCEEDED');
    const seen = [];
    const starts = [];
    let nextToken;
    let pages = 0;
    do {
      const page = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken }));
      assert.ok(page.executions.length <= 2);
      seen.push(...page.executions.map((e) => e.executionArn));
      starts.push(...page.executions.map((e) => e.startDate.getTime()));
      nextToken = page.nextToken;
      pages += 1;
      assert.ok(pages < 10);
    } while (nextToken);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...started].sort());
    // Newest first, as on AWS.
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a));
  });

  test('tags on a state machine and on an activity', async () => {
    const machineArn = await createMachine(uniqueName('js-tags'));
    const activityArn = (await client.send(new CreateActivityCommand({ name: uniqueName('js-tags-act') }))).activityArn;
    for (const resourceArn of [machineArn, activityArn]) {
      const tags = async () => (await client.send(new ListTagsForResourceCommand({ resourceArn }))).tags
        .map((t) => `${t.key}=${t.value}`).sort();
      assert.deepEqual(await tags(), []);
      await client.send(new TagResourceCommand({
        resourceArn, tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'test' }],
      }));
      assert.deepEqual(await tags(), ['env=test', 'team=a']);
      await client.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'team', value: 'b' }, { key: 'x', value: '' }] }));
      assert.deepEqual(await tags(), ['env=test', 'team=b', 'x=']);
      await client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['env', 'x', 'not-there'] }));
      assert.deepEqual(await tags(), ['team=b']);
    }
    // Tags given at creation.
    const tagged = uniqueName('js-tags-create');
    const arn = (await client.send(new CreateStateMachineCommand({
      name: tagged, definition: LIFECYCLE_DEFINITION, roleArn: ROLE_ARN, tags: [{ key: 'k', value: 'v' }],
    }))).stateMachineArn;
    assert.deepEqual((await client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ key: 'k', value: 'v' }]);
    await client.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    await client.send(new DeleteActivityCommand({ activityArn }));
  });
});
