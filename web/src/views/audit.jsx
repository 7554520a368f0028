// The audit log: every change and refusal, newest first, filtered by
// principal, action, resource and time; and a check of its hash chain.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Json, ProblemBox, Time, usePoll } from '../components.jsx';

export function AuditPage() {
  const [form, setForm] = useState({ principal: '', action: '', resource: '' });
  const [filters, setFilters] = useState({});
  const [extra, setExtra] = useState({ items: [], cursor: null, error: null });
  const [open, setOpen] = useState(null);
  const [verify, setVerify] = useState(null);
  const rows = usePoll(() => api('/v1/audit', { query: { ...filters, order: 'desc', limit: 100 } }), [JSON.stringify(filters)]);
  const apply = (e) => {
    e.preventDefault();
    setExtra({ items: [], cursor: null, error: null });
    setFilters({ ...form });
  };
  const more = async () => {
    try {
      const page = await api('/v1/audit', { query: { ...filters, order: 'desc', limit: 100, cursor: extra.cursor || rows.data.next_cursor } });
      setExtra({ items: [...extra.items, ...page.items], cursor: page.next_cursor || '', error: null });
    } catch (error) {
      setExtra({ ...extra, error });
    }
  };
  const check = async () => {
    setVerify({ busy: true });
    try {
      setVerify({ result: await api('/v1/audit/verify') });
    } catch (error) {
      setVerify({ error });
    }
  };
  const items = [...(rows.data ? rows.data.items : []), ...extra.items];
  const hasMore = extra.cursor === null ? Boolean(rows.data && rows.data.next_cursor) : Boolean(extra.cursor);
  return (
    <div class="page" data-testid="audit">
      <div class="title-row">
        <h1>Audit log</h1>
        <div class="spacer" />
        <button onClick={check} data-testid="verify" disabled={verify && verify.busy}>Verify the hash chain</button>
      </div>
      {verify && verify.result && (
        <div class={verify.result.intact ? 'ok-box' : 'problem'} data-testid="verify-result">
          {verify.result.intact
            ? `Intact: ${verify.result.rows} rows, each chained to the one before (head ${verify.result.head.hash.slice(0, 16)}…).`
            : `Broken: ${verify.result.problem}`}
        </div>
      )}
      {verify && <ProblemBox error={verify.error} />}
      <form class="filters" onSubmit={apply}>
        {['principal', 'action', 'resource'].map((k) => (
          <label>{k[0].toUpperCase() + k.slice(1)}
            <input value={form[k]} onInput={(e) => setForm({ ...form, [k]: e.target.value })} />
          </label>
        ))}
        <button type="submit">Filter</button>
      </form>
      <ProblemBox error={rows.error} />
      <table class="table">
        <thead><tr><th>#</th><th>Time</th><th>Principal</th><th>Action</th><th>Resource</th><th>Outcome</th></tr></thead>
        <tbody>
          {items.map((r) => (
            <>
              <tr onClick={() => setOpen(open === r.seq ? null : r.seq)} data-testid="audit-row"
                class={r.details && r.details.outcome && r.details.outcome !== 'ok' ? 'bad' : ''}>
                <td>{r.seq}</td><td><Time at={r.timestamp} /></td><td>{r.principal}</td><td>{r.action}</td>
                <td class="resource">{/:execution:|:express:/.test(r.resource)
                  ? <a href={`#/executions/${encodeURIComponent(r.resource)}`} onClick={(e) => e.stopPropagation()}>{r.resource}</a>
                  : r.resource}</td><td>{r.details && r.details.outcome}</td>
              </tr>
              {open === r.seq && <tr class="details"><td colSpan={6}><Json value={r} /></td></tr>}
            </>
          ))}
        </tbody>
      </table>
      {hasMore && <button onClick={more}>Load more</button>}
      <ProblemBox error={extra.error} />
    </div>
  );
}
