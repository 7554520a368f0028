// Every execution, newest first, with filters that apply as they are typed
// (kept in the address, so a filtered view can be shared) and the number of
// executions in each status. Refreshes itself while "Live" is on.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import {
  ProblemBox, STATUSES, StatusBadge, Time, ago, usePoll,
} from '../components.jsx';
import { duration } from '../history.js';

const FILTERS = ['state_machine', 'status', 'name_prefix', 'error', 'started_after', 'started_before'];

function filtersOf(query) {
  const out = {};
  for (const k of FILTERS) if (query.get(k)) out[k] = query.get(k);
  return out;
}

function setFilters(filters) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  const text = params.toString();
  history.replaceState(null, '', `#/executions${text ? `?${text}` : ''}`);
  dispatchEvent(new HashChangeEvent('hashchange'));
}

function toIso(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function toLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function useDebounced(value, ms) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value]);
  return v;
}

export function ExecutionsPage({ query }) {
  const filters = filtersOf(query);
  const [text, setText] = useState({ name_prefix: filters.name_prefix || '', error: filters.error || '' });
  const typed = useDebounced(text, 250);
  useEffect(() => {
    if ((typed.name_prefix || '') !== (filters.name_prefix || '') || (typed.error || '') !== (filters.error || '')) {
      setFilters({ ...filters, ...typed });
    }
  }, [typed]);
  const [live, setLive] = useState(true);
  const [extra, setExtra] = useState({ items: [], cursor: null, error: null });
  const key = JSON.stringify(filters);
  useEffect(() => setExtra({ items: [], cursor: null, error: null }), [key]);

  const machines = usePoll(() => api('/v1/state-machines', { query: { limit: 1000 } }), []);
  const list = usePoll(() => api('/v1/executions', { query: { ...filters, limit: 50 } }), [key], { intervalMs: 3000, active: live });
  const { status: _omit, ...countFilters } = filters;
  const counts = usePoll(() => api('/v1/executions:counts', { query: countFilters }), [JSON.stringify(countFilters)],
    { intervalMs: 3000, active: live });

  const more = async () => {
    const cursor = extra.cursor || (list.data && list.data.next_cursor);
    try {
      const page = await api('/v1/executions', { query: { ...filters, limit: 50, cursor } });
      setExtra({ items: [...extra.items, ...page.items], cursor: page.next_cursor || '', error: null });
    } catch (error) {
      setExtra({ ...extra, error });
    }
  };
  const items = [...(list.data ? list.data.items : []), ...extra.items];
  const hasMore = extra.cursor === null ? Boolean(list.data && list.data.next_cursor) : Boolean(extra.cursor);
  const c = counts.data && counts.data.counts;

  return (
    <div class="page" data-testid="executions">
      <div class="title-row">
        <h1>Executions</h1>
        <div class="spacer" />
        <label class="check"><input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-testid="live" /> Live</label>
      </div>
      <div class="chips" data-testid="status-counts">
        <button class={!filters.status ? 'chip active' : 'chip'} onClick={() => setFilters({ ...filters, status: '' })}>
          All {counts.data && <b>{counts.data.total}</b>}
        </button>
        {STATUSES.map((s) => (
          <button class={`chip c-${s.toLowerCase()}${filters.status === s ? ' active' : ''}`} data-testid={`count-${s}`}
            onClick={() => setFilters({ ...filters, status: filters.status === s ? '' : s })}>
            {s.replace('_', ' ').toLowerCase()} <b>{c ? c[s] || 0 : '…'}</b>
          </button>
        ))}
      </div>
      <div class="filters">
        <label>State machine
          <select data-testid="filter-state-machine" value={filters.state_machine || ''}
            onChange={(e) => setFilters({ ...filters, state_machine: e.target.value })}>
            <option value="">any</option>
            {machines.data && machines.data.items.map((m) => <option value={m.name}>{m.name}</option>)}
          </select>
        </label>
        <label>Name starts with
          <input data-testid="filter-name" value={text.name_prefix} onInput={(e) => setText({ ...text, name_prefix: e.target.value })} placeholder="nightly-" />
        </label>
        <label>Error
          <input data-testid="filter-error" value={text.error} onInput={(e) => setText({ ...text, error: e.target.value })} placeholder="States.Timeout" />
        </label>
        <label>Started after
          <input type="datetime-local" value={toLocal(filters.started_after)} onChange={(e) => setFilters({ ...filters, started_after: toIso(e.target.value) })} />
        </label>
        <label>Started before
          <input type="datetime-local" value={toLocal(filters.started_before)} onChange={(e) => setFilters({ ...filters, started_before: toIso(e.target.value) })} />
        </label>
        {Object.keys(filters).length > 0 && (
          <button class="link" onClick={() => { setText({ name_prefix: '', error: '' }); setFilters({}); }}>Clear filters</button>
        )}
      </div>
      <BulkActions filters={filters} onDone={() => { list.reload(); counts.reload(); }} />
      <ProblemBox error={list.error || counts.error} />
      <table class="table executions-table">
        <thead><tr><th>Name</th><th>State machine</th><th>Status</th><th>Started</th><th>Duration</th><th>Error</th></tr></thead>
        <tbody>
          {items.map((e) => (
            <tr data-testid="execution-row" data-execution={e.id}>
              <td><a href={`#/executions/${enc(e.id)}`}>{e.name}</a>{e.redrive_count > 0 && <span class="muted" title="Redriven"> ↻{e.redrive_count}</span>}</td>
              <td><a href={`#/executions?state_machine=${enc(e.state_machine)}`}>{e.state_machine}</a>{e.version ? <span class="muted"> v{e.version}</span> : ''}</td>
              <td><StatusBadge status={e.status} /></td>
              <td title={e.started_at}>{ago(e.started_at)}</td>
              <td>{duration(e.started_at, e.stopped_at)}</td>
              <td class="error-cell">{e.error || ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && items.length === 0 && <p class="empty muted">No executions match.</p>}
      {hasMore && <button onClick={more} data-testid="more">Load more</button>}
      <ProblemBox error={extra.error} />
    </div>
  );
}

// Stop or redrive every execution the filters match: a dry run first says
// how many, then the user confirms.
function BulkActions({ filters, onDone }) {
  const [state, setState] = useState({ busy: '', error: null, result: null });
  if (Object.keys(filters).length === 0) return null;
  const act = async (kind) => {
    const path = `/v1/executions:${kind}`;
    setState({ busy: kind, error: null, result: null });
    try {
      const preview = await api(path, { method: 'POST', body: { filter: filters, dry_run: true } });
      const word = kind === 'stop' ? 'Stop' : 'Redrive';
      if (preview.matched === 0) {
        setState({ busy: '', error: null, result: { text: `No matching execution can be ${kind === 'stop' ? 'stopped' : 'redriven'}.` } });
        return;
      }
      if (!confirm(`${word} ${preview.matched}${preview.truncated ? '+' : ''} execution(s)?`)) {
        setState({ busy: '', error: null, result: null });
        return;
      }
      const body = { filter: filters };
      if (kind === 'stop') Object.assign(body, { error: 'Console.Stopped', cause: 'stopped in bulk from the stepd console' });
      const done = await api(path, { method: 'POST', body });
      setState({ busy: '', error: null, result: { text: `${done.succeeded} of ${done.matched} ${kind === 'stop' ? 'stopped' : 'redriven'}${done.failed ? `, ${done.failed} refused` : ''}.` } });
      onDone();
    } catch (error) {
      setState({ busy: '', error, result: null });
    }
  };
  return (
    <div class="bulk">
      <span class="muted">Every execution matching these filters:</span>
      <button data-testid="bulk-redrive" disabled={!!state.busy} onClick={() => act('redrive')}>Redrive</button>
      <button data-testid="bulk-stop" disabled={!!state.busy} onClick={() => act('stop')}>Stop</button>
      {state.result && <span data-testid="bulk-result">{state.result.text}</span>}
      <ProblemBox error={state.error} />
    </div>
  );
}
