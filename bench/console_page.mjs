// See bench/console-page. Usage: node console_page.mjs STEPD_URL ROUNDS
const [,, base, roundsText] = process.argv;
const rounds = Number(roundsText || 5);
const { chromium } = await import(process.env.PLAYWRIGHT_CORE);
const { analyse, stateSummary } = await import(`${process.env.WEB_SRC}/history.js`);
const { layoutScope } = await import(`${process.env.WEB_SRC}/graph.js`);

async function call(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const definition = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Next: 'Fanout' },
    Fanout: {
      Type: 'Parallel', ResultPath: '$.fanout', Next: 'Each',
      Branches: [
        { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
        { StartAt: 'B', States: { B: { Type: 'Pass', Next: 'C' }, C: { Type: 'Pass', End: true } } },
      ],
    },
    Each: {
      Type: 'Map', ItemsPath: '$.items', ResultPath: null, MaxConcurrency: 40, Next: 'Check',
      ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Pass', Parameters: { 'n.$': '$' }, End: true } } },
    },
    Check: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }], Default: 'Done' },
    Done: { Type: 'Succeed' },
  },
};
await call('PUT', '/v1/state-machines/bench-map', { definition });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
console.log(`console page: ${rounds} loads each, chromium headless, local mode`);
console.log(`${'items'.padStart(6)} ${'events'.padStart(7)} ${'page ms'.padStart(9)} ${'analyse ms'.padStart(11)} ${'layout ms'.padStart(10)}`);
for (const items of [100, 1000, 5000]) {
  const name = `items-${items}`;
  const started = await call('POST', '/v1/state-machines/bench-map/executions', {
    name, input: { ok: true, items: Array.from({ length: items }, (_, i) => i) },
  });
  for (;;) {
    const e = await call('GET', `/v1/executions/${encodeURIComponent(started.id)}`);
    if (e.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const events = [];
  let cursor;
  do {
    const page = await call('GET', `/v1/executions/${encodeURIComponent(started.id)}/history?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    events.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);

  const pageMs = [];
  for (let i = 0; i < rounds; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${base}/console/#/executions/${encodeURIComponent(started.id)}`);
    await page.locator('[data-testid="state-Work"][data-status=succeeded]').waitFor({ timeout: 120000 });
    await page.locator('[data-testid=tab-timeline]').filter({ hasText: `Events (${events.length})` }).waitFor({ timeout: 120000 });
    pageMs.push(performance.now() - t0);
    await context.close();
  }
  const analyseMs = [];
  const layoutMs = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    const a = analyse(events, 'SUCCEEDED');
    for (const n of ['Prepare', 'Fanout', 'A', 'B', 'C', 'Each', 'Work', 'Check', 'Done']) stateSummary(a.runs.get(n), 0);
    analyseMs.push(performance.now() - t);
    t = performance.now();
    layoutScope(definition);
    layoutMs.push(performance.now() - t);
  }
  console.log(`${String(items).padStart(6)} ${String(events.length).padStart(7)} ${median(pageMs).toFixed(0).padStart(9)} ${median(analyseMs).toFixed(1).padStart(11)} ${median(layoutMs).toFixed(1).padStart(10)}`);
}
await browser.close();
