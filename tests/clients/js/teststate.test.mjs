// @aws-sdk/client-sfn against stepd: TestState. The SDK sends TestState to
// the host "sync-<endpoint host>", which cannot resolve for a local
// endpoint: disableHostPrefix turns that off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidDefinition,
  TestStateCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { ROLE_ARN, expectError, makeSyncClient } from './common.mjs';

const client = makeSyncClient();
const testState = (input) => client.send(new TestStateCommand({ roleArn: ROLE_ARN, ...input }));

const pass = JSON.stringify({
  Type: 'Pass',
  InputPath: '$.order',
  Parameters: { 'item.$': '$.item', 'count.$': 'States.MathAdd($.count, 1)' },
  ResultPath: '$.next',
  OutputPath: '$.next',
  Next: 'Ship',
});
const passInput = JSON.stringify({ order: { item: 'tea', count: 1 }, customer: 'ada' });

const task = JSON.stringify({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'quote', 'Payload.$': '$' },
  ResultSelector: { 'price.$': '$.Payload.price' },
  ResultPath: '$.quote',
  Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 3, MaxAttempts: 2 }],
  Catch: [{ ErrorEquals: ['PriceUnknown'], ResultPath: '$.problem', Next: 'AskHuman' }],
  Next: 'Charge',
});

describe('TestState', { concurrency: true }, () => {
  test('INFO answers status, output and nextState only', async () => {
    const out = await testState({ definition: pass, input: passInput });
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(out.nextState, 'Ship');
    assert.deepEqual(JSON.parse(out.output), { item: 'tea', count: 2 });
    assert.equal(out.inspectionData, undefined);
  });

  test('DEBUG shows every step of a Pass state with every path field', async () => {
    const out = await testState({ definition: pass, input: passInput, inspectionLevel: 'DEBUG' });
    const data = out.inspectionData;
    assert.deepEqual(JSON.parse(data.input), JSON.parse(passInput));
    assert.deepEqual(JSON.parse(data.afterInputPath), { item: 'tea', count: 1 });
    assert.deepEqual(JSON.parse(data.afterParameters), { item: 'tea', count: 2 });
    assert.deepEqual(JSON.parse(data.afterResultSelector), { item: 'tea', count: 2 });
    assert.deepEqual(JSON.parse(data.afterResultPath), {
      order: { item: 'tea', count: 1 }, customer: 'ada', next: { item: 'tea', count: 2 },
    });
    assert.equal(data.result, undefined, 'a Pass without Result has no result of its own');
  });

  test('TRACE shows the same inspection data as DEBUG', async () => {
    const debug = await testState({ definition: pass, input: passInput, inspectionLevel: 'DEBUG' });
    const trace = await testState({ definition: pass, input: passInput, inspectionLevel: 'TRACE' });
    assert.deepEqual(trace.inspectionData, debug.inspectionData);
    assert.equal(trace.output, debug.output);
  });

  test('a Choice names the next state of the rule that matched, or fails', async () => {
    const choice = JSON.stringify({
      Type: 'Choice',
      Choices: [{ Variable: '$.total', NumericGreaterThan: 100, Next: 'Review' }],
      Default: 'Approve',
    });
    assert.equal((await testState({ definition: choice, input: '{"total":500}' })).nextState, 'Review');
    assert.equal((await testState({ definition: choice, input: '{"total":5}' })).nextState, 'Approve');
    const noDefault = JSON.stringify({ ...JSON.parse(choice), Default: undefined });
    const failed = await testState({ definition: noDefault, input: '{"total":5}' });
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'States.NoChoiceMatched');
  });

  test('a Fail state answers its error and cause', async () => {
    const out = await testState({
      definition: JSON.stringify({ Type: 'Fail', Error: 'OutOfStock', Cause: 'no tea left' }),
    });
    assert.deepEqual([out.status, out.error, out.cause], ['FAILED', 'OutOfStock', 'no tea left']);
    assert.equal(out.output, undefined);
  });

  test('a Task with a mocked result runs it through ResultSelector and ResultPath', async () => {
    const out = await testState({
      definition: task,
      input: '{"item":"tea"}',
      inspectionLevel: 'DEBUG',
      mock: { result: JSON.stringify({ Payload: { price: 4 }, StatusCode: 200 }) },
    });
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(out.nextState, 'Charge');
    assert.deepEqual(JSON.parse(out.output), { item: 'tea', quote: { price: 4 } });
    assert.deepEqual(JSON.parse(out.inspectionData.result), { Payload: { price: 4 }, StatusCode: 200 });
    assert.deepEqual(JSON.parse(out.inspectionData.afterResultSelector), { price: 4 });
  });

  test('a mocked error a Retrier matches is RETRIABLE', async () => {
    const out = await testState({
      definition: task,
      inspectionLevel: 'DEBUG',
      mock: { errorOutput: { error: 'Lambda.TooManyRequestsException', cause: 'slow down' } },
    });
    assert.equal(out.status, 'RETRIABLE');
    assert.equal(out.error, 'Lambda.TooManyRequestsException');
    assert.equal(out.nextState, undefined);
    assert.deepEqual(out.inspectionData.errorDetails, { retryIndex: 0, retryBackoffIntervalSeconds: 3 });
  });

  test('a mocked error a Catcher takes is CAUGHT_ERROR with the Catcher\'s next state', async () => {
    const out = await testState({
      definition: task,
      input: '{"item":"tea"}',
      mock: { errorOutput: { error: 'PriceUnknown', cause: 'no price for tea' } },
    });
    assert.equal(out.status, 'CAUGHT_ERROR');
    assert.equal(out.nextState, 'AskHuman');
    assert.equal(out.error, 'PriceUnknown');
    assert.deepEqual(JSON.parse(out.output), {
      item: 'tea', problem: { Error: 'PriceUnknown', Cause: 'no price for tea' },
    });
  });

  test('a mocked error past its retries and uncaught is FAILED', async () => {
    const out = await testState({
      definition: task,
      mock: { errorOutput: { error: 'Lambda.TooManyRequestsException', cause: 'still slow' } },
      stateConfiguration: { retrierRetryCount: 2 },
    });
    assert.deepEqual([out.status, out.error, out.cause],
      ['FAILED', 'Lambda.TooManyRequestsException', 'still slow']);
  });

  test('refusals arrive as the SDK\'s exception classes', async () => {
    await expectError(() => testState({ definition: task }), ValidationException);
    await expectError(() => testState({ definition: '{"Type":"Pass"}' }), InvalidDefinition);
  });
});
