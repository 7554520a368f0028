// The operators' REST API (/v1) through plain fetch, the way scripts use it.
// Its OpenAPI document is checked by a validator nobody here wrote
// (@apidevtools/swagger-parser), and every answer below against that
// document by another (openapi-response-validator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import responseValidator from 'openapi-response-validator';
import { ENDPOINT, uniqueName } from './common.mjs';

// A CommonJS package: its class is the default export's `default`.
const OpenAPIResponseValidator = responseValidator.default ?? responseValidator;

let document; // dereferenced

async function loadDocument() {
  if (document) return document;
  const raw = await (await fetch(`${ENDPOINT}/v1/openapi.json`)).json();
  await SwaggerParser.validate(structuredClone(raw)); // throws when it is not valid OpenAPI 3
  document = await SwaggerParser.dereference(structuredClone(raw));
  return document;
}

// The document's operation for a concrete path: literal segments beat {params}.
function operationFor(method, path) {
  const segments = path.split('?')[0].split('/');
  let best;
  for (const [template, item] of Object.entries(document.paths)) {
    const parts = template.split('/');
    if (parts.length !== segments.length || !item[method.toLowerCase()]) continue;
    let score = 0;
    const fits = parts.every((p, i) => {
      if (p.startsWith('{')) return true;
      score += 1;
      return p === decodeURIComponent(segments[i]);
    });
    if (fits && (!best || score > best.score)) best = { score, template, op: item[method.toLowerCase()] };
  }
  assert.ok(best, `${method} ${path}: not in the OpenAPI document`);
  return best;
}

// Sends a request and checks the answer against the document.
async function rest(method, path, body) {
  await loadDocument();
  const response = await fetch(`${ENDPOINT}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  const { template, op } = operationFor(method, path);
  const validator = new OpenAPIResponseValidator({ responses: op.responses });
  const errors = validator.validateResponse(response.status, json);
  assert.equal(errors, undefined,
    `${method} ${template} ${response.status}: ${JSON.stringify(errors)} in ${text}`);
  return { status: response.status, body: json, headers: response.headers };
}

async function waitForEnd(id) {
  for (let i = 0; i < 200; i++) {
    const { body } = await rest('GET', `/v1/executions/${encodeURIComponent(id)}`);
    if (body.status !== 'RUNNING') return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} did not end`);
}

test('the OpenAPI document is valid OpenAPI 3', async () => {
  const doc = await loadDocument();
  assert.equal(doc.openapi, '3.0.3');
  assert.ok(doc.paths['/v1/executions:stop']);
});

test('an operator deploys a machine, finds a failed run, fixes it and restarts it', async () => {
  const name = uniqueName('rest-etl');
  const failing = {
    StartAt: 'Load', States: {
      Load: { Type: 'Pass', Assign: { table: 'orders' }, Next: 'Transform' },
      Transform: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }], Default: 'Broken' },
      Broken: { Type: 'Fail', Error: 'Transform.Failed', Cause: 'bad row' },
      Done: { Type: 'Pass', Parameters: { 'table.$': '$table' }, End: true },
    },
  };
  assert.equal((await rest('PUT', `/v1/state-machines/${name}`, { definition: failing })).status, 201);
  const started = await rest('POST', `/v1/state-machines/${name}/executions`, { name: 'nightly', input: { ok: false } });
  assert.equal(started.status, 201);
  assert.equal(started.headers.get('location'), `/v1/executions/${encodeURIComponent(`${name}:nightly`)}`);
  const failed = await waitForEnd(`${name}:nightly`);
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.error, 'Transform.Failed');

  const found = await rest('GET', `/v1/executions?state_machine=${name}&status=FAILED&error=Transform.Failed`);
  assert.deepEqual(found.body.items.map((e) => e.id), [`${name}:nightly`]);

  const restarted = await rest('POST', `/v1/executions/${encodeURIComponent(`${name}:nightly`)}/restart`,
    { from_state: 'Transform', input: { ok: true } });
  assert.equal(restarted.status, 201);
  const done = await waitForEnd(restarted.body.id);
  assert.equal(done.status, 'SUCCEEDED');
  assert.deepEqual(done.output, { table: 'orders' }); // the variable Load assigned in the old run
  assert.equal(done.restarted_from.id, `${name}:nightly`);

  const history = await rest('GET', `/v1/executions/${encodeURIComponent(restarted.body.id)}/history?limit=2`);
  assert.equal(history.body.items[1].details.name, 'Transform');
  assert.ok(history.body.next_cursor);
  // What the console reads: counts by status, the definition an execution ran, who am I.
  const counts = await rest('GET', `/v1/executions:counts?state_machine=${name}`);
  assert.equal(counts.body.counts.FAILED, 1);
  assert.equal(counts.body.counts.SUCCEEDED, 1);
  assert.equal(counts.body.total, 2);
  const fixed = { ...failing, Comment: 'fixed' };
  assert.equal((await rest('PUT', `/v1/state-machines/${name}`, { definition: fixed })).status, 200);
  const ran = await rest('GET', `/v1/executions/${encodeURIComponent(`${name}:nightly`)}/definition`);
  assert.deepEqual(ran.body.definition, failing, 'the definition it ran, not the one updated since');
  assert.equal(ran.body.state_machine.name, name);
  const me = await rest('GET', `/v1/me?state_machine=${name}`);
  assert.equal(me.body.kind, 'local');
  assert.equal(me.body.state_machine.operate, true);
});

test('bulk stop, a dry run first', async () => {
  const name = uniqueName('rest-wait');
  await rest('POST', '/v1/state-machines', {
    name, definition: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } },
  });
  for (const run of ['a', 'b']) await rest('POST', `/v1/state-machines/${name}/executions`, { name: run });
  const dry = await rest('POST', '/v1/executions:stop', { filter: { state_machine: name }, dry_run: true });
  assert.equal(dry.body.matched, 2);
  const stopped = await rest('POST', '/v1/executions:stop', { filter: { state_machine: name }, cause: 'maintenance' });
  assert.equal(stopped.body.succeeded, 2);
  const left = await rest('GET', `/v1/executions?state_machine=${name}&status=RUNNING`);
  assert.equal(left.body.items.length, 0);
});

test('mistakes are problem details, never server errors', async () => {
  const unknown = await rest('GET', '/v1/executions?stauts=FAILED');
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.code, 'InvalidQueryParameter');
  assert.match(unknown.body.detail, /'stauts'/);
  const missing = await rest('GET', '/v1/executions/nobody%3Anothing');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.type, 'urn:stepd:problem:not-found');
  const bad = await rest('POST', '/v1/state-machines', { name: 'x', definition: { StartAt: 'Nowhere', States: {} } });
  assert.equal(bad.status, 400);
  const everything = await rest('POST', '/v1/executions:redrive', {});
  assert.equal(everything.body.code, 'FilterRequired');
});

test('the audit log exports as JSON lines and verifies', async () => {
  const response = await fetch(`${ENDPOINT}/v1/audit?format=jsonl`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
  const rows = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
  assert.ok(rows.length > 5);
  rows.forEach((row, i) => assert.equal(row.seq, i + 1));
  const verified = await rest('GET', '/v1/audit/verify');
  assert.equal(verified.body.intact, true);
  assert.ok(verified.body.rows >= rows.length); // rows may have been added since the export
});
