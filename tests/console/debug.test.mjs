// The console's reason to exist, end to end in a real browser: a workflow
// fails, the operator opens the console, finds the failed state highlighted
// in the graph, reads its error, redrives the execution and watches it
// succeed; a viewer sees the same but may not redrive (the console says why
// and stepd refuses the viewer's token); a restart from
// a chosen state starts a new, linked execution.
//
// The state machine's task is an activity, worked by this test through the
// AWS JSON API with the signed-in user's own token: it fails on the first
// two attempts (the second failure is not retried) and succeeds after the
// redrive.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STEPD_URL, apiToken, launchBrowser, openPage, rest, screenshot, signIn,
} from './common.mjs';

const WAIT = { timeout: 20000 };
const MACHINE = 'nightly-refresh';
const ACTIVITY = 'refresh-warehouse';

const definition = (activityArn) => ({
  Comment: 'Validate the day, refresh the orders model, publish it',
  StartAt: 'Validate',
  States: {
    Validate: { Type: 'Pass', Result: { rows_expected: 1204 }, ResultPath: '$.validation', Next: 'Mode' },
    Mode: {
      Type: 'Choice',
      Choices: [{ Variable: '$.full', BooleanEquals: true, Next: 'Refresh' }],
      Default: 'Refresh',
    },
    Refresh: {
      Type: 'Task',
      Resource: activityArn,
      Retry: [{ ErrorEquals: ['Upstream.Busy'], IntervalSeconds: 1, MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['Data.Invalid'], ResultPath: '$.error', Next: 'Quarantine' }],
      ResultPath: '$.refresh',
      Next: 'Publish',
    },
    Quarantine: { Type: 'Fail', Error: 'Data.Invalid' },
    Publish: { Type: 'Pass', Parameters: { 'model.$': '$.refresh.model', published: true }, End: true },
  },
});

async function aws(token, operation, body) {
  const response = await fetch(`${STEPD_URL}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${operation}`,
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  assert.equal(response.status, 200, `${operation}: ${JSON.stringify(answer)}`);
  return answer;
}

// Takes the next task of the activity (long poll) and answers it.
async function work(token, activityArn, answer) {
  for (let i = 0; i < 2; i++) {
    const task = await aws(token, 'GetActivityTask', { activityArn, workerName: 'console-test' });
    if (!task.taskToken) continue;
    if (answer.error) {
      await aws(token, 'SendTaskFailure', { taskToken: task.taskToken, error: answer.error, cause: answer.cause });
    } else {
      await aws(token, 'SendTaskSuccess', { taskToken: task.taskToken, output: JSON.stringify(answer.output) });
    }
    return JSON.parse(task.input);
  }
  throw new Error('no activity task came');
}

let browser;
let alice;
let token;
let activityArn;

before(async () => {
  browser = await launchBrowser();
  alice = await openPage(browser);
  await signIn(alice.page, 'alice');
  token = await apiToken(alice.page);
  activityArn = (await aws(token, 'CreateActivity', { name: ACTIVITY })).activityArn;
  const put = await rest('PUT', `/v1/state-machines/${MACHINE}`, token, { definition: definition(activityArn) });
  assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
});

after(async () => {
  if (alice) await alice.close();
  if (browser) await browser.close();
});

test('a failed state is highlighted, its error read, and a redrive from the console succeeds', async () => {
  const { page } = alice;
  // Start it from the state machine's page, as a person would.
  await page.goto(`${STEPD_URL}/console/#/state-machines/${MACHINE}`);
  await page.locator('[data-testid=start-open]').click();
  await page.locator('[data-testid=start-name]').fill('orders-2026-12-02');
  await page.locator('[data-testid=start-input]').fill('{"day": "2026-12-02", "full": true}');
  await page.locator('[data-testid=start-submit]').click();
  await page.locator('[data-testid=execution][data-execution-status=RUNNING]').waitFor(WAIT);
  assert.match(page.url(), /#\/executions\/nightly-refresh%3Aorders-2026-12-02$/);

  // The warehouse is busy, then down: one retry, then the execution fails.
  const input = await work(token, activityArn, { error: 'Upstream.Busy', cause: 'warehouse is busy' });
  assert.deepEqual(input.validation, { rows_expected: 1204 });
  await work(token, activityArn, {
    error: 'Warehouse.Unavailable', cause: 'warehouse answered 503 Service Unavailable for query 8842',
  });
  await page.locator('[data-testid=execution][data-execution-status=FAILED]').waitFor(WAIT);

  // The failed state is highlighted in the graph and opened beside it.
  const refresh = page.locator('[data-testid="state-Refresh"]');
  await page.locator('[data-testid="state-Refresh"][data-status=failed]').waitFor(WAIT);
  assert.equal(await page.locator('[data-testid="state-Validate"]').getAttribute('data-status'), 'succeeded');
  assert.equal(await page.locator('[data-testid="state-Publish"]').getAttribute('data-status'), 'not-run');
  assert.equal(await page.locator('[data-testid="state-Quarantine"]').getAttribute('data-status'), 'not-run');
  const details = page.locator('[data-testid=state-details][data-state=Refresh]');
  await details.waitFor(WAIT);
  const error = await details.locator('[data-testid=state-error]').innerText();
  assert.match(error, /Warehouse\.Unavailable/);
  assert.match(error, /503 Service Unavailable for query 8842/);
  const retries = await details.locator('[data-testid=state-retries] li').allInnerTexts();
  assert.equal(retries.length, 2, 'both failed attempts are listed');
  assert.match(retries[0], /Upstream\.Busy/);
  assert.match(await details.locator('[data-testid=state-input]').innerText(), /"day": "2026-12-02"/);
  assert.match(await page.locator('[data-testid=execution-error]').innerText(), /Warehouse\.Unavailable/);
  assert.ok(await page.locator('[data-edge="Mode->Refresh"].taken').count() >= 1, 'the Choice branch taken is drawn');
  await screenshot(page, '1-failed-state-highlighted');

  // Clicking another state shows what it did.
  await page.locator('[data-testid="state-Validate"]').click();
  await page.locator('[data-testid=state-details][data-state=Validate]').waitFor(WAIT);
  assert.match(await page.locator('[data-testid=state-output]').innerText(), /rows_expected/);
  await refresh.click();

  // Redrive: the warehouse is back.
  const redrive = page.locator('[data-testid=redrive]');
  assert.equal(await redrive.isEnabled(), true);
  await redrive.click();
  await page.locator('[data-testid=execution][data-execution-status=RUNNING]').waitFor(WAIT);
  await work(token, activityArn, { output: { model: 'orders', rows: 1204 } });
  await page.locator('[data-testid=execution][data-execution-status=SUCCEEDED]').waitFor(WAIT);
  await page.locator('[data-testid="state-Refresh"][data-status=succeeded]').waitFor(WAIT);
  await page.locator('[data-testid="state-Publish"][data-status=succeeded]').waitFor(WAIT);
  assert.equal(await page.locator('[data-testid=redrive]').isEnabled(), false, 'a succeeded execution cannot be redriven');
  await page.locator('[data-testid=tab-io]').click();
  assert.match(await page.locator('[data-testid=execution-output]').innerText(), /"published": true/);
  await screenshot(page, '2-redriven-and-succeeded');

  // The list shows it, with the status counts; the audit log has the redrive by alice.
  await page.goto(`${STEPD_URL}/console/#/executions?state_machine=${MACHINE}`);
  const row = page.locator('[data-testid=execution-row][data-execution="nightly-refresh:orders-2026-12-02"]');
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /succeeded/i);
  await page.locator('[data-testid=count-SUCCEEDED]').filter({ hasText: '1' }).waitFor(WAIT);
  await screenshot(page, '3-executions-list');
  await page.goto(`${STEPD_URL}/console/#/audit`);
  await page.locator('[data-testid=audit-row]').filter({ hasText: 'ExecutionRedriven' }).filter({ hasText: 'alice' }).first().waitFor(WAIT);
  await screenshot(page, '4-audit-log');
  alice.checkClean();
});

test('a viewer sees the failure but the redrive is refused, and nothing changes', async () => {
  const start = await rest('POST', `/v1/state-machines/${MACHINE}/executions`, token, { name: 'orders-2026-12-03', input: { day: '2026-12-03', full: false } });
  assert.equal(start.status, 201, JSON.stringify(start.body));
  await work(token, activityArn, { error: 'Warehouse.Unavailable', cause: 'still down' });
  const victor = await openPage(browser);
  try {
    const { page } = victor;
    await signIn(page, 'victor');
    await page.goto(`${STEPD_URL}/console/#/executions/${encodeURIComponent('nightly-refresh:orders-2026-12-03')}`);
    await page.locator('[data-testid=execution][data-execution-status=FAILED]').waitFor(WAIT);
    await page.locator('[data-testid="state-Refresh"][data-status=failed]').waitFor(WAIT);
    // The console knows the role: the redrive is offered disabled, with the reason.
    await page.locator('[data-testid=roles]').filter({ hasText: 'viewer' }).waitFor(WAIT);
    const refusal = page.locator('[data-testid=refusal]');
    await refusal.waitFor(WAIT);
    assert.match(await refusal.innerText(), /Your role \(viewer\) may not operate on nightly-refresh/);
    assert.equal(await page.locator('[data-testid=redrive]').isEnabled(), false);
    // And stepd itself refuses the viewer's token, whatever the page shows.
    const victorToken = await apiToken(page);
    const refused = await rest('POST', `/v1/executions/${encodeURIComponent('nightly-refresh:orders-2026-12-03')}/redrive`, victorToken, {});
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.type.startsWith('urn:stepd:problem:'), true);
    await screenshot(page, '5-viewer-refused');
    const after = await rest('GET', `/v1/executions/${encodeURIComponent('nightly-refresh:orders-2026-12-03')}`, token);
    assert.equal(after.body.status, 'FAILED');
    assert.equal(after.body.redrive_count, 0);
    victor.checkClean();
  } finally {
    await victor.close();
  }
});

test('restart from a chosen state starts a new execution linked to the old one', async () => {
  const { page } = alice;
  await page.goto(`${STEPD_URL}/console/#/executions/${encodeURIComponent('nightly-refresh:orders-2026-12-03')}`);
  await page.locator('[data-testid=execution][data-execution-status=FAILED]').waitFor(WAIT);
  await page.locator('[data-testid="state-Refresh"]').click();
  const restart = page.locator('[data-testid=restart]');
  assert.match(await restart.innerText(), /Restart from Refresh/);
  await restart.click();
  await page.waitForURL((url) => !url.hash.endsWith('orders-2026-12-03'), WAIT);
  await page.locator('[data-testid=execution]').waitFor(WAIT);
  await work(token, activityArn, { output: { model: 'orders', rows: 99 } });
  await page.locator('[data-testid=execution][data-execution-status=SUCCEEDED]').waitFor(WAIT);
  assert.equal(await page.locator('[data-testid="state-Validate"]').getAttribute('data-status'), 'not-run',
    'a restart from Refresh does not run Validate again');
  assert.match(await page.locator('.facts').innerText(), /Restarted from\s+nightly-refresh:orders-2026-12-03 at Refresh/);
  await screenshot(page, '6-restarted-from-refresh');
  alice.checkClean();
});
