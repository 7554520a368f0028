// history.js against histories recorded from a real stepd (fixtures/: the
// refresh-model machine of fixtures/refresh-model.asl.json; run1 failed in
// its Map state, run2 retried, failed, was redriven and succeeded, run3
// caught an error and ended in a Fail state, run4 was stopped while its task
// waited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  analyse, duration, retriesOf, stateSummary,
} from '../src/history.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
const summaries = (name) => {
  const { execution, events } = fixture(name);
  const analysis = analyse(events, execution.status);
  const out = {};
  for (const [state, runs] of analysis.runs) out[state] = stateSummary(runs, analysis.redrives.length);
  return { analysis, out };
};

test('a failure in a Map state is pinned on the Map state, and later states did not run', () => {
  const { analysis, out } = summaries('run1');
  assert.equal(analysis.failed.name, 'Each');
  assert.equal(analysis.failed.error, 'States.Runtime');
  assert.equal(out.Each.status, 'failed');
  assert.equal(out.Validate.status, 'succeeded');
  assert.equal(out.A1.status, 'succeeded');
  assert.equal(out.Work, undefined);
  assert.equal(out.Refresh, undefined);
  assert.equal(stateSummary(undefined, 0).status, 'not-run');
});

test('a redriven execution shows the latest run of each state and remembers the earlier failure', () => {
  const { analysis, out } = summaries('run2');
  assert.deepEqual(analysis.redrives.length, 1);
  assert.equal(analysis.failed, null);
  assert.equal(analysis.ended, 'SUCCEEDED');
  assert.equal(out.Refresh.status, 'succeeded');
  assert.equal(out.Refresh.earlierFailure, true);
  assert.equal(out.Done.status, 'succeeded');
  const runs = analysis.runs.get('Refresh');
  assert.equal(runs.length, 2);
  assert.equal(runs[0].status, 'failed');
  assert.equal(runs[0].epoch, 0);
  assert.deepEqual(runs[0].attempts.map((a) => a.error), ['Upstream.Busy', 'Warehouse.Unavailable']);
  assert.equal(runs[0].error, 'Warehouse.Unavailable');
  assert.equal(runs[1].status, 'succeeded');
  assert.deepEqual(runs[1].output, { rows: 1204, model: 'orders' });
  assert.equal(runs[1].epoch, 1);
});

test('before its redrive the retried task failed after one retry', () => {
  const { execution, events } = fixture('run2');
  const cut = events.findIndex((e) => e.type === 'ExecutionFailed');
  const analysis = analyse(events.slice(0, cut + 1), 'FAILED');
  assert.equal(analysis.failed.name, 'Refresh');
  const summary = stateSummary(analysis.runs.get('Refresh'), 0);
  assert.equal(summary.status, 'failed');
  assert.equal(summary.retries, 1);
  assert.equal(execution.status, 'SUCCEEDED');
});

test('Map iterations make one run per item, each with its own input', () => {
  const { analysis, out } = summaries('run2');
  const work = analysis.runs.get('Work');
  assert.deepEqual(work.map((r) => r.iteration), [0, 1, 2]);
  assert.deepEqual(work.map((r) => r.input), [1, 2, 3]);
  assert.equal(out.Work.runs, 3);
  assert.equal(out.Work.status, 'succeeded');
  assert.equal(out.Each.status, 'succeeded');
});

test('Parallel branch states are tied to their own runs', () => {
  const { analysis } = summaries('run2');
  for (const name of ['Fanout', 'A1', 'B1', 'B2']) {
    const runs = analysis.runs.get(name);
    assert.equal(runs.length, 1, name);
    assert.equal(runs[0].status, 'succeeded', name);
  }
  assert.ok(analysis.runs.get('Fanout')[0].events.some((e) => e.type === 'ParallelStateExited'));
  assert.ok(!analysis.runs.get('A1')[0].events.some((e) => e.type.startsWith('Parallel')));
});

test('a caught error marks the task caught and the Fail state failed', () => {
  const { analysis, out } = summaries('run3');
  assert.equal(out.Refresh.status, 'caught');
  assert.equal(analysis.runs.get('Refresh')[0].error, 'Data.Invalid');
  assert.equal(out.Notify.status, 'failed');
  assert.equal(analysis.failed.name, 'Notify');
});

test('a stopped execution leaves its waiting task cancelled', () => {
  const { analysis, out } = summaries('run4');
  assert.equal(analysis.ended, 'ABORTED');
  assert.equal(out.Refresh.status, 'cancelled');
  assert.equal(out.Route.status, 'succeeded');
});

test('a running execution shows its current state running', () => {
  const { events } = fixture('run4');
  const cut = events.findIndex((e) => e.type === 'ExecutionAborted');
  const analysis = analyse(events.slice(0, cut), 'RUNNING');
  assert.equal(stateSummary(analysis.runs.get('Refresh'), 0).status, 'running');
});

test('durations read as people write them', () => {
  assert.equal(duration('2026-12-02T08:00:00.000Z', '2026-12-02T08:00:00.250Z'), '250 ms');
  assert.equal(duration('2026-12-02T08:00:00.000Z', '2026-12-02T08:00:05.430Z'), '5.43 s');
  assert.equal(duration('2026-12-02T08:00:00.000Z', '2026-12-02T08:03:10.000Z'), '3 min 10 s');
  assert.equal(duration('2026-12-02T08:00:00.000Z', '2026-12-02T10:05:00.000Z'), '2 h 5 min');
  assert.equal(duration('', ''), '');
});

test('the transitions taken are recorded, including the Choice branch and the Catch', () => {
  const { analysis } = summaries('run2');
  assert.ok(analysis.transitions.has('Route|Fanout'));
  assert.ok(!analysis.transitions.has('Route|Refresh'));
  assert.ok(analysis.transitions.has('Each|Refresh'));
  assert.ok(analysis.transitions.has('Refresh|Done'));
  assert.ok(analysis.transitions.has('B1|B2'));
  const caught = summaries('run3').analysis;
  assert.ok(caught.transitions.has('Route|Refresh'));
  assert.ok(caught.transitions.has('Refresh|Notify'));
});

test('a run retried as often as it failed before the failure that stands', () => {
  const refresh = summaries('run2').analysis.runs.get('Refresh');
  assert.equal(retriesOf(refresh[0]), 1, 'Upstream.Busy retried, Warehouse.Unavailable stands');
  assert.equal(retriesOf(refresh[1]), 0);
  const each = summaries('run1').analysis.runs.get('Each')[0];
  assert.equal(each.error, 'States.Runtime');
  assert.equal(retriesOf(each), 0, 'an error with no failed attempt is no retry');
  assert.equal(retriesOf(summaries('run3').analysis.runs.get('Refresh')[0]), 0, 'a caught error');
});
