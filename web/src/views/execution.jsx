// One execution: its graph coloured by what each state did, the state a
// click selects (input, output, error, attempts, timings), the event
// timeline, and stop / redrive / restart-from-here.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import {
  Json, ProblemBox, StatusBadge, Tabs, Time, navigate, usePoll,
} from '../components.jsx';
import { GraphView } from '../graph_view.jsx';
import { allStates } from '../graph.js';
import {
  analyse, duration, parseJson, retriesOf, stateSummary,
} from '../history.js';

const LIVE = new Set(['RUNNING', 'PENDING_REDRIVE']);
const MAX_EVENTS = 25000;
const TIMELINE_PAGE = 500;

// The whole history the first time; then, while the execution runs, only
// the events after those already held (read newest first until a known
// one), so polling a long history stays cheap.
async function loadHistory(id, held) {
  if (held && held.events.length && !held.truncated) {
    const last = held.events[held.events.length - 1].id;
    const fresh = [];
    let cursor;
    let reached = false;
    do {
      const page = await api(`/v1/executions/${enc(id)}/history`, { query: { limit: 200, reverse: true, cursor } });
      for (const event of page.items) {
        if (event.id <= last) {
          reached = true;
          break;
        }
        fresh.push(event);
      }
      cursor = page.next_cursor;
    } while (!reached && cursor);
    if (reached || !cursor) {
      if (!fresh.length) return held;
      return { events: [...held.events, ...fresh.reverse()], truncated: false };
    }
  }
  const events = [];
  let cursor;
  do {
    const page = await api(`/v1/executions/${enc(id)}/history`, { query: { limit: 1000, cursor } });
    events.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && events.length < MAX_EVENTS);
  return { events, truncated: Boolean(cursor) };
}

export function ExecutionPage({ id, query }) {
  const [selected, setSelected] = useState(query.get('state') || null);
  const [tab, setTab] = useState('timeline');
  const [action, setAction] = useState({ busy: '', error: null, note: '' });
  const [live, setLive] = useState(true);

  const execution = usePoll(() => api(`/v1/executions/${enc(id)}`), [id], { intervalMs: 1500, active: live });
  const status = execution.data && execution.data.status;
  const running = LIVE.has(status);
  useEffect(() => {
    if (status && !running) setLive(false);
  }, [status]);
  const held = useRef(null);
  const history = usePoll(async () => {
    held.current = await loadHistory(id, held.current);
    return held.current;
  }, [id, status, execution.data && execution.data.redrive_count],
    { intervalMs: running ? 1500 : 0, active: running });
  const definition = usePoll(() => api(`/v1/executions/${enc(id)}/definition`), [id]);

  const machineName = execution.data && execution.data.state_machine;
  const me = usePoll(() => (machineName ? api('/v1/me', { query: { state_machine: machineName } }) : null), [machineName]);
  const allowed = me.data && me.data.state_machine ? me.data.state_machine : null;
  const mayOperate = !allowed || allowed.operate;
  const refusal = allowed && !allowed.operate ? `Your role (${me.data.roles}) may not operate on ${machineName}` : '';
  const analysis = useMemo(
    () => (history.data ? analyse(history.data.events, status) : null), [history.data, status]);
  const statuses = useMemo(() => {
    if (!analysis || !definition.data) return null;
    const out = {};
    const epoch = analysis.redrives.length;
    for (const name of allStates(definition.data.definition).keys()) {
      out[name] = stateSummary(analysis.runs.get(name), epoch);
    }
    return out;
  }, [analysis, definition.data]);

  // A failed execution opens on the state that failed.
  const failedName = analysis && analysis.failed && analysis.failed.name;
  const [autoSelected, setAutoSelected] = useState(false);
  useEffect(() => {
    if (failedName && !selected && !autoSelected) {
      setSelected(failedName);
      setAutoSelected(true);
    }
  }, [failedName]);

  if (execution.error && !execution.data) {
    return <div class="page"><h1>Execution</h1><ProblemBox error={execution.error} /></div>;
  }
  if (!execution.data) return <div class="page muted">Loading…</div>;
  const e = execution.data;
  const failedState = analysis && analysis.failed && analysis.failed.name;
  const topLevel = definition.data ? Object.keys(definition.data.definition.States || {}) : [];

  const run = async (name, path, body, after) => {
    setAction({ busy: name, error: null, note: '' });
    try {
      const answer = await api(path, { method: 'POST', body });
      setAction({ busy: '', error: null, note: '' });
      setLive(true);
      execution.reload();
      history.reload();
      if (after) after(answer);
    } catch (error) {
      setAction({ busy: '', error, note: '' });
    }
  };
  const stop = () => {
    if (!confirm(`Stop ${e.name}? Running states are cancelled.`)) return;
    run('stop', `/v1/executions/${enc(id)}/stop`, { error: 'Console.Stopped', cause: 'stopped from the stepd console' });
  };
  const redrive = () => run('redrive', `/v1/executions/${enc(id)}/redrive`, {});
  const restart = () => {
    if (!selected) return;
    run('restart', `/v1/executions/${enc(id)}/restart`, { from_state: selected },
      (answer) => navigate(`#/executions/${enc(answer.id)}`));
  };
  const canRestart = selected && topLevel.includes(selected) && !running && mayOperate;

  return (
    <div class="page execution" data-testid="execution" data-execution-status={e.status}>
      <div class="crumbs">
        <a href="#/executions">Executions</a> / <a href={`#/executions?state_machine=${enc(e.state_machine)}`}>{e.state_machine}</a>
      </div>
      <div class="title-row">
        <h1>{e.name}</h1>
        <StatusBadge status={e.status} />
        {running && <span class="live-dot" title="Updating live">live</span>}
        <div class="spacer" />
        <div class="actions">
          {running && <button data-testid="stop" disabled={!!action.busy || !mayOperate} title={refusal} onClick={stop}>Stop</button>}
          <button data-testid="redrive" class={e.redrivable && mayOperate ? 'primary' : ''} disabled={!e.redrivable || !!action.busy || !mayOperate}
            title={refusal || (e.redrivable ? 'Run again from the states that did not succeed' : e.not_redrivable_reason)} onClick={redrive}>
            {action.busy === 'redrive' ? 'Redriving…' : 'Redrive'}
          </button>
          <button data-testid="restart" disabled={!canRestart || !!action.busy} onClick={restart}
            title={refusal || (canRestart ? `Start a new execution from ${selected}` : 'Select a top-level state of an ended execution to restart from it')}>
            {selected && canRestart ? `Restart from ${selected}` : 'Restart from here'}
          </button>
        </div>
      </div>
      {refusal && <div class="muted" data-testid="refusal">{refusal}: you can look, not stop, redrive or restart.</div>}
      <ProblemBox error={action.error} />
      <dl class="facts">
        <div><dt>State machine</dt><dd><a href={`#/state-machines/${enc(e.state_machine)}`}>{e.state_machine}</a>
          {e.version ? ` (version ${e.version})` : ''}{e.alias ? ` via alias ${e.alias}` : ''}</dd></div>
        <div><dt>Started</dt><dd><Time at={e.started_at} /></dd></div>
        <div><dt>{e.stopped_at ? 'Ended' : 'Running for'}</dt><dd>{e.stopped_at ? <Time at={e.stopped_at} /> : duration(e.started_at)}</dd></div>
        <div><dt>Duration</dt><dd>{duration(e.started_at, e.stopped_at)}</dd></div>
        {e.redrive_count > 0 && <div><dt>Redriven</dt><dd>{e.redrive_count}× (last <Time at={e.redriven_at} />)</dd></div>}
        {e.current_state && running && <div><dt>Current state</dt><dd>{e.current_state}</dd></div>}
        {e.started_by && <div><dt>Started by</dt><dd>{e.started_by}</dd></div>}
        {e.parent && <div><dt>Parent</dt><dd><a href={`#/executions/${enc(e.parent.id)}`}>{e.parent.id}</a></dd></div>}
        {e.started_by_execution && <div><dt>Started by execution</dt><dd><a href={`#/executions/${enc(e.started_by_execution.id)}`}>{e.started_by_execution.id}</a></dd></div>}
        {e.restarted_from && <div><dt>Restarted from</dt><dd><a href={`#/executions/${enc(e.restarted_from.id)}`}>{e.restarted_from.id}</a>{e.restarted_from.from_state ? ` at ${e.restarted_from.from_state}` : ''}</dd></div>}
        {e.restarts && e.restarts.length > 0 && <div><dt>Restarts</dt><dd>{e.restarts.map((r) => (
          <span class="restart"><a href={`#/executions/${enc(r.id)}`}>{r.id.split(':').pop()}</a> <StatusBadge status={r.status} /></span>))}</dd></div>}
      </dl>
      {e.error && (
        <div class="failure" data-testid="execution-error">
          <div><strong>{e.error}</strong>{failedState && <> in <button class="link" onClick={() => setSelected(failedState)}>{failedState}</button></>}</div>
          {e.cause && <pre class="cause">{prettyCause(e.cause)}</pre>}
        </div>
      )}
      {history.data && history.data.truncated && (
        <p class="muted">This history has more than {MAX_EVENTS} events: the graph shows the first {MAX_EVENTS}.</p>
      )}
      <div class="split">
        <div class="graph-pane">
          {definition.error && <ProblemBox error={definition.error} />}
          {definition.data && (
            <GraphView definition={definition.data.definition} statuses={statuses || {}}
              taken={analysis ? analysis.transitions : null} selected={selected} onSelect={setSelected} />
          )}
        </div>
        <div class="side-pane">
          {selected ? (
            <StateDetails name={selected} definition={definition.data && definition.data.definition}
              runs={analysis ? analysis.runs.get(selected) || [] : []} epoch={analysis ? analysis.redrives.length : 0}
              onClose={() => setSelected(null)} />
          ) : (
            <div class="hint muted">Click a state to see its input, output, error, retries and timings.</div>
          )}
        </div>
      </div>
      <Tabs current={tab} onChange={setTab} tabs={[
        ['timeline', `Events${history.data ? ` (${history.data.events.length})` : ''}`],
        ['io', 'Input and output'], ['definition', 'Definition']]} />
      {tab === 'timeline' && <Timeline events={history.data ? history.data.events : []} analysis={analysis}
        selected={selected} onSelect={setSelected} error={history.error} />}
      {tab === 'io' && (
        <div class="io">
          <div><h3>Input</h3><Json value={e.input} testid="execution-input" /></div>
          <div><h3>Output</h3><Json value={e.output} testid="execution-output" /></div>
        </div>
      )}
      {tab === 'definition' && definition.data && <Json value={definition.data.definition} />}
    </div>
  );
}

function prettyCause(cause) {
  const parsed = parseJson(cause);
  return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed, null, 2) : cause;
}

function StateDetails({ name, definition, runs, epoch, onClose }) {
  const info = definition ? allStates(definition).get(name) : null;
  const [index, setIndex] = useState(runs.length - 1);
  useEffect(() => setIndex(runs.length - 1), [name, runs.length]);
  const run = runs[Math.min(Math.max(index, 0), runs.length - 1)];
  const summary = stateSummary(runs, epoch);
  return (
    <div class="state-details" data-testid="state-details" data-state={name}>
      <div class="title-row">
        <h2>{name}</h2>
        <span class={`badge st-${summary.status}`} data-testid="state-status">{summary.status.replace('-', ' ')}</span>
        <div class="spacer" />
        <button class="link" onClick={onClose} title="Close">✕</button>
      </div>
      {info && <div class="muted">{info.state.Type}{info.path.length ? ` in ${info.path.join(' › ')}` : ''}
        {info.state.Resource ? <> · <code>{info.state.Resource}</code></> : ''}</div>}
      {summary.earlierFailure && <p class="note">Failed before the last redrive; this is its latest run.</p>}
      {runs.length === 0 && <p class="muted">Not run in this execution.</p>}
      {runs.length > 1 && (
        <label class="runs">Run
          <select value={index} onChange={(ev) => setIndex(Number(ev.target.value))}>
            {runs.map((r, i) => (
              <option value={i}>{i + 1} of {runs.length}{r.iteration !== null ? ` · item ${r.iteration}` : ''}{r.epoch ? ` · after redrive ${r.epoch}` : ''} · {r.status}</option>
            ))}
          </select>
        </label>
      )}
      {run && (
        <>
          <dl class="facts small">
            <div><dt>Entered</dt><dd><Time at={run.entered_at} /></dd></div>
            <div><dt>Exited</dt><dd><Time at={run.exited_at} /></dd></div>
            <div><dt>Duration</dt><dd>{duration(run.entered_at, run.exited_at)}</dd></div>
            <div><dt>Attempts</dt><dd data-testid="state-attempts">{retriesOf(run) + 1}</dd></div>
          </dl>
          {(run.status === 'failed' || run.status === 'caught') && run.error && (
            <div class="failure" data-testid="state-error">
              <strong>{run.error}</strong>{run.status === 'caught' && <span class="muted"> (caught)</span>}
              {run.cause && <pre class="cause">{prettyCause(run.cause)}</pre>}
            </div>
          )}
          {run.attempts.length > 0 && (
            <div>
              <h3>Failed attempts</h3>
              <ol class="attempts" data-testid="state-retries">
                {run.attempts.map((a) => (
                  <li><Time at={a.at} /> <strong>{a.error}</strong> <span class="muted">{a.type}</span>{a.cause && <div class="cause-line">{a.cause}</div>}</li>
                ))}
              </ol>
            </div>
          )}
          <h3>Input</h3>
          <Json value={run.input} testid="state-input" />
          <h3>Output</h3>
          <Json value={run.output} testid="state-output" />
        </>
      )}
      {info && (
        <details>
          <summary>Definition of this state</summary>
          <Json value={info.state} />
        </details>
      )}
    </div>
  );
}

function Timeline({ events, analysis, selected, onSelect, error }) {
  const [onlySelected, setOnlySelected] = useState(false);
  const [open, setOpen] = useState(null);
  const stateOf = useMemo(() => {
    const map = new Map();
    if (analysis) {
      for (const run of analysis.byRun.values()) for (const ev of run.events) map.set(ev.id, run.name);
    }
    return map;
  }, [analysis]);
  const [limit, setLimit] = useState(TIMELINE_PAGE);
  const matching = onlySelected && selected ? events.filter((ev) => stateOf.get(ev.id) === selected) : events;
  // A long history is listed a page at a time: thousands of rows at once
  // would make the page slow to open.
  const shown = matching.length > limit ? matching.slice(0, limit) : matching;
  const start = events.length ? Date.parse(events[0].timestamp) : 0;
  return (
    <div class="timeline" data-testid="timeline">
      <ProblemBox error={error} />
      {selected && (
        <label class="check"><input type="checkbox" checked={onlySelected} onChange={(ev) => setOnlySelected(ev.target.checked)} />
          Only events of {selected}</label>
      )}
      <table class="table">
        <thead><tr><th>#</th><th>Type</th><th>State</th><th>Time</th><th>+ms</th></tr></thead>
        <tbody>
          {shown.map((ev) => {
            const name = stateOf.get(ev.id) || '';
            const failed = /(Failed|TimedOut|Aborted)$/.test(ev.type);
            return (
              <>
                <tr class={`${failed ? 'bad' : ''}${open === ev.id ? ' open' : ''}`} onClick={() => setOpen(open === ev.id ? null : ev.id)}>
                  <td>{ev.id}</td>
                  <td>{ev.type}</td>
                  <td>{name && <button class="link" onClick={(x) => { x.stopPropagation(); onSelect(name); }}>{name}</button>}</td>
                  <td><Time at={ev.timestamp} /></td>
                  <td class="num">{Date.parse(ev.timestamp) - start}</td>
                </tr>
                {open === ev.id && <tr class="details"><td colSpan={5}><Json value={expand(ev.details)} /></td></tr>}
              </>
            );
          })}
        </tbody>
      </table>
      {matching.length > shown.length && (
        <button data-testid="timeline-more" onClick={() => setLimit(limit + TIMELINE_PAGE)}>
          Show {Math.min(TIMELINE_PAGE, matching.length - shown.length)} more of {matching.length - shown.length} remaining events
        </button>
      )}
    </div>
  );
}

function expand(details) {
  if (!details) return {};
  const out = {};
  for (const [k, v] of Object.entries(details)) out[k] = (k === 'input' || k === 'output') ? parseJson(v) : v;
  return out;
}
