// The reference side of bench/jsonata-vs-reference: the expressions of a
// workload file (bench/jsonata-workload.json) compiled once by jsonata-js
// (npm `jsonata` 2.x) and evaluated over the workload's data for a fixed time
// each, the same loop as bench/jsonata_eval.cc. Each result is checked
// against the workload's `expected`; --write-expected records jsonata-js'
// answers there instead (what stepd is then held to).
//
// Usage: node bench/jsonata_reference.mjs WORKLOAD [--rounds N] [--seconds S]
//        [--only a,b] [--json] [--write-expected]
// Env: JSONATA_DIR (default ~/.cache/stepd-bench-jsonata): where `jsonata` is
// npm-installed. With --json the last line is a JSON object
// {expression: {evals_per_sec: [..], ...}}. Exits 1 when a result differs.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const usage = 'usage: jsonata_reference.mjs WORKLOAD [--rounds N] [--seconds S] [--only a,b] [--json] [--write-expected]';
const args = process.argv.slice(2);
const file = args[0];
if (!file) { console.error(usage); process.exit(2); }
let rounds = 3, seconds = 0.5, jsonOut = false, writeExpected = false, only = [];
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  if (a === '--rounds') rounds = Number(args[++i]);
  else if (a === '--seconds') seconds = Number(args[++i]);
  else if (a === '--only') only = args[++i].split(',');
  else if (a === '--json') jsonOut = true;
  else if (a === '--write-expected') writeExpected = true;
  else { console.error(`unknown argument ${a}\n${usage}`); process.exit(2); }
}

const dir = process.env.JSONATA_DIR || join(homedir(), '.cache', 'stepd-bench-jsonata');
const require = createRequire(join(dir, 'package.json'));
const jsonata = require('jsonata');
const version = require('jsonata/package.json').version;

const workload = JSON.parse(readFileSync(file, 'utf8'));
const data = workload.data;

// Results as they would leave a workflow: JSON text, parsed back.
const plain = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

// Same rule as stepd's check: doubles within 1e-12 relative, members in any order.
function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && same(a[k], b[k]));
  }
  return isDeepStrictEqual(a, b);
}

// Evaluates for about `seconds`, checking the clock once per batch (about a
// millisecond); returns evaluations per second.
async function measure(c, seconds) {
  let n = 0, batch = 1, elapsed = 0;
  const t0 = performance.now();
  while (elapsed < seconds) {
    for (let k = 0; k < batch; k++) await c.expr.evaluate(c.input, c.bindings);
    n += batch;
    elapsed = (performance.now() - t0) / 1000;
    batch = Math.max(1, Math.floor((n / elapsed) * 1e-3));
  }
  return n / elapsed;
}

const cases = [];
for (const e of workload.expressions) {
  if (only.length && !only.includes(e.name)) continue;
  const c = { name: e.name, expr: jsonata(e.expr), input: e.input === false ? undefined : data, bindings: e.bindings || {} };
  const got = plain(await c.expr.evaluate(c.input, c.bindings));
  if (got === undefined) { console.error(`${e.name}: undefined result; the workload needs a value`); process.exit(1); }
  if (writeExpected) e.expected = got;
  else if (!same(got, e.expected)) {
    console.error(`${e.name}: result differs from the workload's expected (jsonata ${version})\n  got ${JSON.stringify(got)}\n  expected ${JSON.stringify(e.expected)}`);
    process.exit(1);
  }
  cases.push(c);
}
if (writeExpected) {
  writeFileSync(file, JSON.stringify(workload, null, 1) + '\n');
  console.log(`${file}: expected results of jsonata ${version} written`);
  process.exit(0);
}

for (const c of cases) await measure(c, Math.min(seconds, 0.2));  // JIT warm-up
const eps = {};
for (let r = 1; r <= rounds; r++) {
  for (const c of cases) {
    const e = await measure(c, seconds);
    (eps[c.name] ||= []).push(e);
    console.log(`round ${r} ${c.name.padEnd(22)} ${e.toFixed(0).padStart(12)} evals/s ${(1e6 / e).toFixed(2).padStart(10)} us/eval`);
  }
}
const median = (v) => { const s = [...v].sort((x, y) => x - y), n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
console.log(`\njsonata-js ${version} (node ${process.version}), ${rounds} rounds of ${seconds} s, median [min..max]`);
const summary = {};
for (const c of cases) {
  const v = eps[c.name];
  console.log(`${c.name.padEnd(24)} ${median(v).toFixed(0).padStart(10)} [${Math.min(...v).toFixed(0)}..${Math.max(...v).toFixed(0)}]`);
  summary[c.name] = { evals_per_sec: v };
}
if (jsonOut) console.log(JSON.stringify(summary));
