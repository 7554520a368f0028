// Reads an execution's history (the REST API's events: {id,
// previous_event_id, type, timestamp, details}) into what each state did:
// its runs (one per time it was entered: Map iterations and redrives make
// several), each with timings, input, output, attempts and errors.
//
// Events are tied to the state run they belong to through
// previous_event_id: every event of a state's run leads back, link by link,
// to the run's <Type>StateEntered event.

export function parseJson(text) {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const FAILURE = /(Failed|TimedOut|Aborted)$/;
const TERMINAL_STATUS = {
  ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED',
};

function kindOf(type) {
  // "TaskStateEntered" -> "Task"; "ActivityFailed" -> "Task"; "MapIterationStarted" -> "Map".
  const m = /^(Task|Pass|Choice|Wait|Succeed|Fail|Parallel|Map)State/.exec(type);
  if (m) return m[1];
  if (/^(Activity|Lambda|Task)/.test(type)) return 'Task';
  if (/^MapIteration|^MapRun/.test(type)) return 'Map';
  return null;
}

// Returns {runs: Map(name -> [run]), failed: {name, error, cause} | null,
//          redrives: [eventId], ended: status | null, byRun: Map(eventId -> run),
//          transitions: Set("From|To") of the transitions taken}
// run: {name, kind, entered_id, entered_at, exited_at, input, output,
//       status: 'running'|'succeeded'|'caught'|'failed'|'cancelled',
//       attempts: [{at, error, cause, type}], iteration, epoch, events: [event]}
// epoch counts redrives before the run (0: the first attempt).
export function analyse(events, executionStatus) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const runOfEvent = new Map();
  const runs = new Map();
  const byRun = new Map();
  let epoch = 0;
  const redrives = [];
  let failed = null;
  let ended = null;
  const transitions = new Set();  // "From|To" for each transition taken

  // The run an event belongs to: the nearest *StateEntered up its chain
  // whose state is the event's own (by name, or by kind for unnamed ones).
  const enteredFor = (event) => {
    const name = event.details && event.details.name;
    const kind = kindOf(event.type);
    let cursor = byId.get(event.previous_event_id);
    for (let hops = 0; cursor && hops < 100000; hops++) {
      const run = runOfEvent.get(cursor.id);  // StateEntered events included
      if (run && (!name || run.name === name) && (!kind || run.kind === kind)) return run;
      cursor = byId.get(cursor.previous_event_id);
    }
    return null;
  };

  for (const event of events) {
    const d = event.details || {};
    if (event.type === 'ExecutionRedriven') {
      epoch += 1;
      redrives.push(event.id);
      for (const list of runs.values()) {
        for (const run of list) if (run.status === 'running') run.status = run.failedHere ? 'failed' : 'cancelled';
      }
      failed = null;
      ended = null;
      continue;
    }
    if (event.type.endsWith('StateEntered')) {
      const run = {
        name: d.name, kind: kindOf(event.type), entered_id: event.id, entered_at: event.timestamp,
        exited_at: null, input: parseJson(d.input), output: undefined, status: 'running', attempts: [], epoch,
        iteration: null, events: [event],
      };
      const before = byId.get(event.previous_event_id);
      if (before && before.type.endsWith('StateExited') && before.details) {
        transitions.add(`${before.details.name}|${d.name}`);
      }
      const iteration = before;
      if (iteration && iteration.type === 'MapIterationStarted') run.iteration = iteration.details.index;
      byRun.set(event.id, run);
      runOfEvent.set(event.id, run);
      if (!runs.has(d.name)) runs.set(d.name, []);
      runs.get(d.name).push(run);
      if (run.kind === 'Fail') {
        run.status = 'failed';
        run.exited_at = event.timestamp;
      }
      continue;
    }
    if (TERMINAL_STATUS[event.type]) {
      ended = TERMINAL_STATUS[event.type];
      const run = enteredFor(event) || lastOpen(runs);
      if (event.type !== 'ExecutionSucceeded') {
        failed = { name: run ? run.name : null, error: d.error || '', cause: d.cause || '', type: event.type };
        if (run) {
          run.failedHere = true;
          if (run.status === 'running') {
            run.status = event.type === 'ExecutionAborted' ? 'cancelled' : 'failed';
            run.exited_at = event.timestamp;
          }
          if (!run.error && d.error) {
            run.error = d.error;
            run.cause = d.cause;
          }
        }
      }
      for (const list of runs.values()) {
        for (const r of list) if (r.status === 'running') r.status = 'cancelled';
      }
      continue;
    }
    const run = enteredFor(event);
    if (!run) continue;
    runOfEvent.set(event.id, run);
    run.events.push(event);
    if (event.type.endsWith('StateExited')) {
      run.exited_at = event.timestamp;
      run.output = parseJson(d.output);
      run.status = run.error ? 'caught' : 'succeeded';
    } else if (FAILURE.test(event.type)) {
      run.attempts.push({ at: event.timestamp, error: d.error || '', cause: d.cause || '', type: event.type });
      run.error = d.error || event.type;
      run.cause = d.cause || '';
    } else if (/(Scheduled|Started)$/.test(event.type) && run.error && !event.type.startsWith('Map')) {
      // A retry: the failure before it was not the run's last word.
      run.error = null;
      run.cause = null;
    } else if (/Succeeded$/.test(event.type) && !/Iteration/.test(event.type)) {
      run.error = null;
      run.cause = null;
    }
  }
  if (executionStatus && executionStatus !== 'RUNNING') {
    for (const list of runs.values()) {
      for (const r of list) if (r.status === 'running') r.status = 'cancelled';
    }
  }
  return { runs, failed, redrives, ended, byRun, transitions };
}

function lastOpen(runs) {
  let best = null;
  for (const list of runs.values()) {
    for (const r of list) if (r.status === 'running' && (!best || r.entered_id > best.entered_id)) best = r;
  }
  return best;
}

// Failed attempts a run went past: each failure but the one that stands as
// its error (a run that failed or caught its error tried once more than it
// retried).
export function retriesOf(run) {
  return Math.max(0, run.attempts.length - (run.error ? 1 : 0));
}

const PRIORITY = ['running', 'failed', 'caught', 'cancelled', 'succeeded'];

// What the graph shows for a state: the most telling status of its runs in
// the latest attempt (after the last redrive), else of its earlier runs.
export function stateSummary(list, epoch) {
  if (!list || list.length === 0) return { status: 'not-run', runs: 0 };
  const latest = list.filter((r) => r.epoch === epoch);
  const shown = latest.length ? latest : list;
  let status = 'succeeded';
  for (const r of shown) if (PRIORITY.indexOf(r.status) < PRIORITY.indexOf(status)) status = r.status;
  const counts = {};
  for (const r of shown) counts[r.status] = (counts[r.status] || 0) + 1;
  const retries = shown.reduce((n, r) => n + retriesOf(r), 0);
  const earlierFailure = latest.length > 0 && list.some((r) => r.epoch < epoch && r.status === 'failed');
  return { status, runs: shown.length, counts, retries, earlierFailure };
}

export function duration(from, to) {
  if (!from) return '';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
