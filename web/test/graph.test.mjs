// graph.js: the layout of a definition with every kind of edge and nested
// Parallel and Map states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allStates, describeRule, layoutScope } from '../src/graph.js';

const definition = JSON.parse(readFileSync(new URL('./fixtures/refresh-model.asl.json', import.meta.url)));

const inside = (outer, inner) => inner.x >= 0 && inner.y >= 0 &&
  inner.x + inner.width <= outer.width + 0.5 && inner.y + inner.height <= outer.height + 0.5;

test('every top-level state is a node, with start and end points', () => {
  const layout = layoutScope(definition);
  const names = layout.nodes.map((n) => n.name).sort();
  assert.deepEqual(names, ['Done', 'Each', 'Fanout', 'Notify', 'Refresh', 'Route', 'Validate', '__end', '__start']);
  for (const n of layout.nodes) assert.ok(inside(layout, n), `${n.name} lies inside the graph`);
});

test('edges carry their kind and the Choice and Catch labels', () => {
  const layout = layoutScope(definition);
  const edge = (from, to) => layout.edges.find((e) => e.from === from && e.to === to);
  assert.equal(edge('__start', 'Validate').kind, 'start');
  assert.equal(edge('Validate', 'Route').kind, 'next');
  assert.equal(edge('Route', 'Fanout').kind, 'choice');
  assert.equal(edge('Route', 'Fanout').label, '$.mode == "full"');
  assert.equal(edge('Route', 'Refresh').kind, 'default');
  assert.equal(edge('Refresh', 'Notify').kind, 'catch');
  assert.equal(edge('Refresh', 'Notify').label, 'catch Data.Invalid');
  assert.equal(edge('Done', '__end').kind, 'end');
  assert.equal(edge('Notify', '__end').kind, 'end');
  for (const e of layout.edges) assert.ok(e.points.length >= 2, `${e.from}->${e.to} has a route`);
});

test('states flow downwards from the start', () => {
  const layout = layoutScope(definition);
  const y = Object.fromEntries(layout.nodes.map((n) => [n.name, n.y]));
  assert.ok(y.__start < y.Validate && y.Validate < y.Route && y.Route < y.Fanout && y.Fanout < y.Each);
  assert.ok(y.Each < y.Refresh && y.Refresh < y.Done && y.Done < y.__end);
});

test('a Parallel state holds its branches side by side, a Map state its item processor', () => {
  const layout = layoutScope(definition);
  const fanout = layout.nodes.find((n) => n.name === 'Fanout');
  assert.equal(fanout.children.length, 2);
  const [one, two] = fanout.children;
  assert.ok(one.x + one.layout.width <= two.x, 'branches do not overlap');
  for (const c of fanout.children) {
    assert.ok(c.x + c.layout.width <= fanout.width && c.y + c.layout.height <= fanout.height, 'a branch fits its box');
  }
  assert.deepEqual(two.layout.nodes.filter((n) => !n.terminal).map((n) => n.name).sort(), ['B1', 'B2']);
  const each = layout.nodes.find((n) => n.name === 'Each');
  assert.deepEqual(each.children[0].layout.nodes.filter((n) => !n.terminal).map((n) => n.name), ['Work']);
});

test('allStates finds nested states with the path to them', () => {
  const states = allStates(definition);
  assert.deepEqual(states.get('B2').path, ['Fanout']);
  assert.deepEqual(states.get('Work').path, ['Each']);
  assert.equal(states.get('Refresh').state.Type, 'Task');
  assert.equal(states.size, 11);
});

test('Choice rules read as conditions', () => {
  assert.equal(describeRule({ Variable: '$.n', NumericGreaterThanEquals: 5 }), '$.n >= 5');
  assert.equal(describeRule({ Variable: '$.n', NumericLessThanPath: '$.max' }), '$.n < $.max');
  assert.equal(describeRule({ Variable: '$.ok', BooleanEquals: true }), '$.ok == true');
  assert.equal(describeRule({ Variable: '$.x', IsPresent: true }), '$.x IsPresent');
  assert.equal(describeRule({ And: [{}, {}], Next: 'X' }), 'And(2)');
  assert.equal(describeRule({ Not: { Variable: '$.s', StringEquals: 'a' } }), 'Not($.s == "a")');
  assert.equal(describeRule({ Condition: '{% $states.input.n > 3 %}' }), '$states.input.n > 3');
});

test('a definition with an unknown Next or no states still lays out', () => {
  const layout = layoutScope({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } });
  assert.deepEqual(layout.nodes.map((n) => n.name).sort(), ['A', '__end', '__start']);
  assert.equal(layoutScope({}).nodes.length, 2);
});
