// State machines: the list, and one machine with its graph, definition,
// versions, aliases, recent executions, and a form to start an execution.
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import {
  Json, ProblemBox, StatusBadge, Tabs, Time, ago, navigate, usePoll,
} from '../components.jsx';
import { GraphView } from '../graph_view.jsx';

export function StateMachinesPage() {
  const machines = usePoll(() => api('/v1/state-machines', { query: { limit: 1000 } }), []);
  const [filter, setFilter] = useState('');
  const items = machines.data ? machines.data.items.filter((m) => m.name.toLowerCase().includes(filter.toLowerCase())) : [];
  return (
    <div class="page" data-testid="state-machines">
      <div class="title-row">
        <h1>State machines</h1>
        <div class="spacer" />
        <input placeholder="Filter by name" value={filter} onInput={(e) => setFilter(e.target.value)} />
      </div>
      <ProblemBox error={machines.error} />
      <table class="table">
        <thead><tr><th>Name</th><th>Type</th><th>Created</th><th /></tr></thead>
        <tbody>
          {items.map((m) => (
            <tr data-testid="machine-row">
              <td><a href={`#/state-machines/${enc(m.name)}`}>{m.name}</a></td>
              <td>{m.type}</td>
              <td><Time at={m.created_at} /></td>
              <td><a href={`#/executions?state_machine=${enc(m.name)}`}>executions</a></td>
            </tr>
          ))}
        </tbody>
      </table>
      {machines.data && items.length === 0 && <p class="empty muted">No state machines{filter ? ' match' : ' yet: create one with the REST API (PUT /v1/state-machines/{name}) or the AWS CLI'}.</p>}
    </div>
  );
}

export function StateMachinePage({ name }) {
  const machine = usePoll(() => api(`/v1/state-machines/${enc(name)}`), [name]);
  const recent = usePoll(() => api('/v1/executions', { query: { state_machine: name, limit: 10 } }), [name], { intervalMs: 5000 });
  const [tab, setTab] = useState('graph');
  if (machine.error && !machine.data) return <div class="page"><h1>{name}</h1><ProblemBox error={machine.error} /></div>;
  if (!machine.data) return <div class="page muted">Loading…</div>;
  const m = machine.data;
  return (
    <div class="page" data-testid="state-machine">
      <div class="crumbs"><a href="#/state-machines">State machines</a></div>
      <div class="title-row">
        <h1>{m.name}</h1>
        <span class="badge">{m.type}</span>
      </div>
      <dl class="facts">
        <div><dt>ARN</dt><dd><code>{m.arn}</code></dd></div>
        <div><dt>Created</dt><dd><Time at={m.created_at} /></dd></div>
        {m.revision_id && <div><dt>Revision</dt><dd><code>{m.revision_id}</code></dd></div>}
        {m.definition && m.definition.Comment && <div><dt>Comment</dt><dd>{m.definition.Comment}</dd></div>}
      </dl>
      <StartForm machine={m} />
      <Tabs current={tab} onChange={setTab} tabs={[
        ['graph', 'Graph'], ['definition', 'Definition'],
        ['versions', `Versions (${(m.versions || []).length})`], ['aliases', `Aliases (${(m.aliases || []).length})`],
        ['executions', 'Recent executions']]} />
      {tab === 'graph' && <div class="graph-pane"><GraphView definition={m.definition} /></div>}
      {tab === 'definition' && <Json value={m.definition} testid="definition" />}
      {tab === 'versions' && (
        <table class="table">
          <thead><tr><th>Version</th><th>Description</th><th>Created</th></tr></thead>
          <tbody>{(m.versions || []).map((v) => (
            <tr><td>{v.version}</td><td>{v.description}</td><td><Time at={v.created_at} /></td></tr>))}</tbody>
        </table>
      )}
      {tab === 'aliases' && (
        <table class="table">
          <thead><tr><th>Alias</th><th>Routes to</th><th>Description</th><th>Updated</th></tr></thead>
          <tbody>{(m.aliases || []).map((a) => (
            <tr><td>{a.name}</td><td>{(a.routing || []).map((r) => `version ${r.version} (${r.weight}%)`).join(', ')}</td>
              <td>{a.description}</td><td><Time at={a.updated_at || a.created_at} /></td></tr>))}</tbody>
        </table>
      )}
      {tab === 'executions' && (
        <div>
          <ProblemBox error={recent.error} />
          <table class="table">
            <thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Error</th></tr></thead>
            <tbody>{recent.data && recent.data.items.map((e) => (
              <tr><td><a href={`#/executions/${enc(e.id)}`}>{e.name}</a></td><td><StatusBadge status={e.status} /></td>
                <td title={e.started_at}>{ago(e.started_at)}</td><td class="error-cell">{e.error || ''}</td></tr>))}</tbody>
          </table>
          <a href={`#/executions?state_machine=${enc(m.name)}`}>All executions of {m.name}</a>
        </div>
      )}
    </div>
  );
}

function StartForm({ machine }) {
  const me = usePoll(() => api('/v1/me', { query: { state_machine: machine.name } }), [machine.name]);
  const [open, setOpen] = useState(false);
  const [input, setInput] = useState('{}');
  const [runName, setRunName] = useState('');
  const [target, setTarget] = useState('');
  const [state, setState] = useState({ busy: false, error: null });
  const mayStart = !(me.data && me.data.state_machine && !me.data.state_machine.start);
  if (!open) {
    return (
      <div class="actions">
        <button class="primary" data-testid="start-open" disabled={!mayStart} onClick={() => setOpen(true)}
          title={mayStart ? '' : `Your role (${me.data.roles}) may not start ${machine.name}`}>Start execution</button>
      </div>
    );
  }
  let parsed;
  let parseError = '';
  try {
    parsed = JSON.parse(input || 'null');
  } catch (e) {
    parseError = e.message;
  }
  const submit = async (ev) => {
    ev.preventDefault();
    if (parseError) return;
    setState({ busy: true, error: null });
    const body = { input: parsed };
    if (runName.trim()) body.name = runName.trim();
    if (target.startsWith('v:')) body.version = Number(target.slice(2));
    if (target.startsWith('a:')) body.alias = target.slice(2);
    try {
      const started = await api(`/v1/state-machines/${enc(machine.name)}/executions`, { method: 'POST', body });
      navigate(`#/executions/${enc(started.id)}`);
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <form class="start-form" onSubmit={submit} data-testid="start-form">
      <h3>Start an execution of {machine.name}</h3>
      <label>Name (optional; the same name twice starts it once)
        <input value={runName} onInput={(e) => setRunName(e.target.value)} data-testid="start-name" placeholder="generated when empty" />
      </label>
      {((machine.versions || []).length > 0 || (machine.aliases || []).length > 0) && (
        <label>Run
          <select value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">the latest definition</option>
            {(machine.versions || []).map((v) => <option value={`v:${v.version}`}>version {v.version}</option>)}
            {(machine.aliases || []).map((a) => <option value={`a:${a.name}`}>alias {a.name}</option>)}
          </select>
        </label>
      )}
      <label>Input (JSON)
        <textarea rows="6" value={input} onInput={(e) => setInput(e.target.value)} data-testid="start-input" spellcheck={false} />
      </label>
      {parseError && <div class="error">Not JSON: {parseError}</div>}
      <ProblemBox error={state.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={state.busy || !!parseError} data-testid="start-submit">{state.busy ? 'Starting…' : 'Start'}</button>
        <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </form>
  );
}
