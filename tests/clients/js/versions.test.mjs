// @aws-sdk/client-sfn against stepd: publish versions, route an alias 100/0
// then 50/50 (both versions run), list and delete them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConflictException,
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DeleteStateMachineAliasCommand,
  DeleteStateMachineCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachineAliasesCommand,
  ListStateMachineVersionsCommand,
  PublishStateMachineVersionCommand,
  ResourceNotFound,
  StartExecutionCommand,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { ROLE_ARN, expectError, makeClient, uniqueName, waitForExecution } from './common.mjs';

const client = makeClient();

const returning = (v) => JSON.stringify({
  StartAt: 'P', States: { P: { Type: 'Pass', Result: { v }, End: true } },
});

async function runThrough(arn) {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn }));
  return waitForExecution(client, executionArn);
}

describe('versions and aliases', { concurrency: true }, () => {
  test('publish two versions, shift an alias from 100/0 to 50/50', async () => {
    const name = uniqueName('js-ver');
    const created = await client.send(new CreateStateMachineCommand({
      name, definition: returning(1), roleArn: ROLE_ARN, publish: true, versionDescription: 'one',
    }));
    const machine = created.stateMachineArn;
    assert.equal(created.stateMachineVersionArn, `${machine}:1`);

    const updated = await client.send(new UpdateStateMachineCommand({
      stateMachineArn: machine, definition: returning(2),
    }));
    const published = await client.send(new PublishStateMachineVersionCommand({
      stateMachineArn: machine, revisionId: updated.revisionId, description: 'two',
    }));
    assert.equal(published.stateMachineVersionArn, `${machine}:2`);
    assert.ok(published.creationDate instanceof Date);

    const v1 = await client.send(new DescribeStateMachineCommand({ stateMachineArn: `${machine}:1` }));
    assert.equal(v1.definition, returning(1));
    assert.equal(v1.description, 'one');
    const versions = await client.send(new ListStateMachineVersionsCommand({ stateMachineArn: machine }));
    assert.deepEqual(versions.stateMachineVersions.map((v) => v.stateMachineVersionArn),
      [`${machine}:2`, `${machine}:1`]);

    const alias = await client.send(new CreateStateMachineAliasCommand({
      name: 'live',
      description: 'what users run',
      routingConfiguration: [
        { stateMachineVersionArn: `${machine}:1`, weight: 100 },
        { stateMachineVersionArn: `${machine}:2`, weight: 0 },
      ],
    }));
    assert.equal(alias.stateMachineAliasArn, `${machine}:live`);
    for (let i = 0; i < 5; i += 1) {
      const run = await runThrough(alias.stateMachineAliasArn);
      assert.equal(run.status, 'SUCCEEDED');
      assert.equal(run.output, '{"v":1}');
      assert.equal(run.stateMachineVersionArn, `${machine}:1`);
      assert.equal(run.stateMachineAliasArn, alias.stateMachineAliasArn);
    }

    await client.send(new UpdateStateMachineAliasCommand({
      stateMachineAliasArn: alias.stateMachineAliasArn,
      routingConfiguration: [
        { stateMachineVersionArn: `${machine}:1`, weight: 50 },
        { stateMachineVersionArn: `${machine}:2`, weight: 50 },
      ],
    }));
    const described = await client.send(new DescribeStateMachineAliasCommand({
      stateMachineAliasArn: alias.stateMachineAliasArn,
    }));
    assert.deepEqual(described.routingConfiguration.map((r) => r.weight), [50, 50]);
    assert.equal(described.description, 'what users run');
    assert.ok(described.updateDate instanceof Date);
    const outputs = new Set();
    // Both sides come up within 40 starts but with probability 2^-39.
    for (let i = 0; i < 40 && outputs.size < 2; i += 1) {
      outputs.add((await runThrough(alias.stateMachineAliasArn)).output);
    }
    assert.deepEqual([...outputs].sort(), ['{"v":1}', '{"v":2}']);

    const byAlias = await client.send(new ListExecutionsCommand({ stateMachineArn: alias.stateMachineAliasArn }));
    assert.ok(byAlias.executions.length >= 7);
    for (const e of byAlias.executions) assert.equal(e.stateMachineAliasArn, alias.stateMachineAliasArn);
    const byV2 = await client.send(new ListExecutionsCommand({ stateMachineArn: `${machine}:2` }));
    assert.ok(byV2.executions.length >= 1);
    for (const e of byV2.executions) assert.equal(e.stateMachineVersionArn, `${machine}:2`);

    const listed = await client.send(new ListStateMachineAliasesCommand({ stateMachineArn: machine }));
    assert.deepEqual(listed.stateMachineAliases.map((a) => a.stateMachineAliasArn), [alias.stateMachineAliasArn]);

    await expectError(() => client.send(new DeleteStateMachineVersionCommand({
      stateMachineVersionArn: `${machine}:1`,
    })), ConflictException);
    await client.send(new DeleteStateMachineAliasCommand({ stateMachineAliasArn: alias.stateMachineAliasArn }));
    await expectError(() => client.send(new DescribeStateMachineAliasCommand({
      stateMachineAliasArn: alias.stateMachineAliasArn,
    })), ResourceNotFound);
    await client.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${machine}:1` }));
    const left = await client.send(new ListStateMachineVersionsCommand({ stateMachineArn: machine }));
    assert.deepEqual(left.stateMachineVersions.map((v) => v.stateMachineVersionArn), [`${machine}:2`]);
    await client.send(new DeleteStateMachineCommand({ stateMachineArn: machine }));
  });

  test('a version runs the definition it was published with', async () => {
    const name = uniqueName('js-ver-run');
    const { stateMachineArn } = await client.send(new CreateStateMachineCommand({
      name, definition: returning(1), roleArn: ROLE_ARN,
    }));
    const { stateMachineVersionArn } = await client.send(new PublishStateMachineVersionCommand({ stateMachineArn }));
    await client.send(new UpdateStateMachineCommand({ stateMachineArn, definition: returning(2) }));
    const old = await runThrough(stateMachineVersionArn);
    assert.equal(old.output, '{"v":1}');
    assert.equal(old.stateMachineArn, stateMachineArn);
    const current = await runThrough(stateMachineArn);
    assert.equal(current.output, '{"v":2}');
    assert.equal(current.stateMachineVersionArn, undefined);
    const again = await client.send(new DescribeExecutionCommand({ executionArn: old.executionArn }));
    assert.equal(again.stateMachineVersionArn, stateMachineVersionArn);
  });
});
