// Pieces the pages share: status badges, times, JSON, errors, polling.
import { useEffect, useRef, useState } from 'preact/hooks';

export const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export function StatusBadge({ status }) {
  const text = (status || '').replace(/_/g, ' ').toLowerCase();
  return <span class={`badge s-${(status || '').toLowerCase()}`} data-status={status}>{text}</span>;
}

export function Time({ at }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return <time datetime={at} title={at}>{d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}</time>;
}

export function ago(at) {
  if (!at) return '';
  const s = Math.round((Date.now() - Date.parse(at)) / 1000);
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function Json({ value, testid }) {
  if (value === undefined) return <span class="muted">—</span>;
  let text;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 2);
  } catch {
    text = String(value);
  }
  return (
    <div class="json">
      <button class="copy link" title="Copy" onClick={() => navigator.clipboard && navigator.clipboard.writeText(text)}>copy</button>
      <pre data-testid={testid}>{text}</pre>
    </div>
  );
}

export function ProblemBox({ error }) {
  if (!error) return null;
  const p = error.problem || {};
  let hint = '';
  if (error.status === 403) hint = 'Your role does not allow this.';
  return (
    <div class="problem" role="alert" data-testid="problem">
      <strong>{p.title || (error.status ? `HTTP ${error.status}` : 'Error')}</strong>
      {p.code && <code>{p.code}</code>}
      <div>{p.detail || error.message}</div>
      {hint && <div class="muted">{hint}</div>}
    </div>
  );
}

// Runs `load` now and every `intervalMs` while `active`; answers
// {data, error, loading, reload}. A load that fails keeps the last data.
export function usePoll(load, deps, { intervalMs = 0, active = true } = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const reload = async () => {
    const mine = ++generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  };
  useEffect(() => {
    setState((s) => ({ ...s, loading: true }));
    reload();
    if (!intervalMs || !active) return undefined;
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, intervalMs);
    return () => {
      clearInterval(timer);
      generation.current++;
    };
  }, [...deps, intervalMs, active]);
  return { ...state, reload };
}

export function navigate(hash) {
  if (location.hash !== hash) location.hash = hash;
}

export function Tabs({ tabs, current, onChange }) {
  return (
    <div class="tabs" role="tablist">
      {tabs.map(([id, label]) => (
        <button role="tab" class={current === id ? 'active' : ''} aria-selected={current === id}
          data-testid={`tab-${id}`} onClick={() => onChange(id)}>{label}</button>
      ))}
    </div>
  );
}
