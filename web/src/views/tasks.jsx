// What executions wait for: activity tasks queued or taken by a worker, and
// .waitForTaskToken callbacks not yet answered (never their tokens).
import { api, enc } from '../api.js';
import { Json, ProblemBox, Time, ago, usePoll } from '../components.jsx';
import { useState } from 'preact/hooks';

export function TasksPage() {
  const tasks = usePoll(() => api('/v1/tasks', { query: { limit: 500 } }), [], { intervalMs: 3000 });
  const [open, setOpen] = useState(null);
  const items = tasks.data ? tasks.data.items : [];
  return (
    <div class="page" data-testid="tasks">
      <div class="title-row"><h1>Waiting tasks</h1><span class="muted">activity tasks and callbacks not yet answered</span></div>
      <ProblemBox error={tasks.error} />
      <table class="table">
        <thead><tr><th>Kind</th><th>Activity or state</th><th>Execution</th><th>State</th><th>Waiting since</th></tr></thead>
        <tbody>
          {items.map((t, i) => (
            <>
              <tr onClick={() => setOpen(open === i ? null : i)} data-testid="task-row">
                <td>{t.kind}</td>
                <td>{t.activity || t.state_name || t.state || ''}</td>
                <td>{t.execution && <a href={`#/executions/${enc(t.execution.id)}`} onClick={(e) => e.stopPropagation()}>{t.execution.id}</a>}</td>
                <td>{t.state}</td>
                <td title={t.created_at}>{ago(t.created_at)} <span class="muted">(<Time at={t.created_at} />)</span></td>
              </tr>
              {open === i && <tr class="details"><td colSpan={5}><Json value={t} /></td></tr>}
            </>
          ))}
        </tbody>
      </table>
      {tasks.data && items.length === 0 && <p class="empty muted">Nothing is waiting.</p>}
    </div>
  );
}
