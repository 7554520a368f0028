// Lays out an ASL definition as a graph with dagre. Parallel and Map states
// are boxes holding their branches or item processor, laid out first (inside
// out) so that each box is a single node of the graph around it. Positions
// are top-left corners, relative to the enclosing box.
import dagre from '@dagrejs/dagre';

const CHAR_WIDTH = 7.2;
const NODE_HEIGHT = 40;
const MIN_WIDTH = 96;
const MAX_LABEL = 30;
const BOX_HEADER = 42;
const BOX_PAD = 14;
const TERMINAL = 12;

export function shorten(text, max = MAX_LABEL) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function nodeWidth(name, type) {
  const label = Math.max(shorten(name).length, type.length + 2);
  return Math.max(MIN_WIDTH, Math.round(label * CHAR_WIDTH + 28));
}

// A short text for a Choice rule: "$.mode == "full"", "And(2)", a JSONata
// condition.
export function describeRule(rule) {
  if (!rule || typeof rule !== 'object') return '';
  if (typeof rule.Condition === 'string') return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  for (const op of ['And', 'Or']) if (Array.isArray(rule[op])) return `${op}(${rule[op].length})`;
  if (rule.Not) return `Not(${describeRule(rule.Not)})`;
  // Longest first: "GreaterThanEquals" also ends with "Equals".
  const symbols = {
    LessThanEquals: '<=', GreaterThanEquals: '>=', LessThan: '<', GreaterThan: '>', Equals: '==', Matches: '~',
  };
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next' || key === 'Comment' || key === 'Assign' || key === 'Output') continue;
    const isPath = key.endsWith('Path');
    const base = key.replace(/Path$/, '');
    const op = Object.entries(symbols).find(([s]) => base.endsWith(s));
    const shown = isPath ? value : JSON.stringify(value);
    if (op) return `${rule.Variable} ${op[1]} ${shown}`;
    return `${rule.Variable} ${base}${value === true ? '' : ` ${shown}`}`;
  }
  return rule.Variable || '';
}

function processorOf(state) {
  return state.ItemProcessor || state.Iterator || null;
}

// Returns {width, height, nodes, edges} for a scope ({StartAt, States}).
// nodes: {name, type, x, y, width, height, children?: [{label, x, y, layout}]}
// edges: {from, to, kind: 'next'|'choice'|'default'|'catch'|'start'|'end',
//         label, points: [{x, y}], labelAt: {x, y}}
export function layoutScope(scope) {
  const states = (scope && scope.States) || {};
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 26, ranksep: 34, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  g.setNode('__start', { width: TERMINAL, height: TERMINAL });
  g.setNode('__end', { width: TERMINAL, height: TERMINAL });
  const boxes = {};
  for (const [name, state] of Object.entries(states)) {
    const type = state.Type || '?';
    if (type === 'Parallel' && Array.isArray(state.Branches)) {
      const branches = state.Branches.map((b) => layoutScope(b));
      let x = BOX_PAD;
      const children = branches.map((layout, i) => {
        const child = { label: `Branch ${i + 1}`, x, y: BOX_HEADER, layout };
        x += layout.width + BOX_PAD;
        return child;
      });
      const width = Math.max(nodeWidth(name, type), x);
      const height = BOX_HEADER + Math.max(NODE_HEIGHT, ...branches.map((b) => b.height)) + BOX_PAD;
      boxes[name] = children;
      g.setNode(name, { width, height });
    } else if (type === 'Map' && processorOf(state)) {
      const layout = layoutScope(processorOf(state));
      const width = Math.max(nodeWidth(name, type), layout.width + 2 * BOX_PAD);
      boxes[name] = [{ label: 'Item processor', x: (width - layout.width) / 2, y: BOX_HEADER, layout }];
      g.setNode(name, { width, height: BOX_HEADER + layout.height + BOX_PAD });
    } else {
      g.setNode(name, { width: nodeWidth(name, type), height: NODE_HEIGHT });
    }
  }
  const edge = (from, to, kind, label = '') => {
    if (!g.hasNode(to)) return;
    const text = shorten(label, 26);
    g.setEdge(from, to, {
      kind, label: text, width: text ? text.length * 6.2 + 8 : 0, height: text ? 16 : 0, labelpos: 'c',
    }, `${from}|${to}|${kind}|${g.edgeCount()}`);
  };
  if (scope && scope.StartAt) edge('__start', scope.StartAt, 'start');
  for (const [name, state] of Object.entries(states)) {
    if (state.Next) edge(name, state.Next, 'next');
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') edge(name, '__end', 'end');
    if (state.Type === 'Choice') {
      for (const rule of state.Choices || []) edge(name, rule.Next, 'choice', describeRule(rule));
      if (state.Default) edge(name, state.Default, 'default', 'Default');
    }
    for (const c of state.Catch || []) edge(name, c.Next, 'catch', `catch ${(c.ErrorEquals || []).join(', ')}`);
  }
  dagre.layout(g);
  const graph = g.graph();
  const nodes = [];
  for (const id of g.nodes()) {
    const n = g.node(id);
    const base = { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
    if (id === '__start' || id === '__end') {
      nodes.push({ ...base, name: id, type: id === '__start' ? 'start' : 'end', terminal: true });
    } else {
      nodes.push({ ...base, name: id, type: states[id].Type || '?', children: boxes[id] });
    }
  }
  const edges = g.edges().map((e) => {
    const data = g.edge(e);
    return {
      from: e.v, to: e.w, kind: data.kind, label: data.label,
      points: data.points || [], labelAt: data.label ? { x: data.x, y: data.y } : null,
    };
  });
  return { width: graph.width || 0, height: graph.height || 0, nodes, edges };
}

// Every state of a definition by name, nested ones included:
// name -> {state, path: ['Parent', ...]}.
export function allStates(scope, path = [], out = new Map()) {
  for (const [name, state] of Object.entries((scope && scope.States) || {})) {
    out.set(name, { state, path });
    for (const branch of state.Branches || []) allStates(branch, [...path, name], out);
    if (processorOf(state)) allStates(processorOf(state), [...path, name], out);
  }
  return out;
}
