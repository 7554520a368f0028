// Draws a laid-out state machine (graph.js) as SVG. Each state is coloured
// by `statuses` (name -> summary from history.js stateSummary); clicking a
// state calls onSelect(name).
import { useMemo, useState } from 'preact/hooks';
import { layoutScope, shorten } from './graph.js';

const STATUS_TEXT = {
  succeeded: 'succeeded', failed: 'failed', caught: 'failed, caught', running: 'running',
  cancelled: 'cancelled', 'not-run': 'not run',
};

function pathOf(points) {
  if (!points.length) return '';
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

const RAN = new Set(['succeeded', 'failed', 'caught', 'running', 'cancelled']);

// An edge was taken when the history has the transition, or for the start
// and end points, when the state at its other end ran.
function wasTaken(edge, statuses, taken) {
  if (!statuses || !taken) return false;
  if (edge.from === '__start') return RAN.has((statuses[edge.to] || {}).status);
  if (edge.to === '__end') return ['succeeded', 'failed'].includes((statuses[edge.from] || {}).status);
  return taken.has(`${edge.from}|${edge.to}`);
}

function Scope({ layout, statuses, taken, selected, onSelect, x = 0, y = 0 }) {
  return (
    <g transform={`translate(${x},${y})`}>
      {layout.edges.map((e) => (
        <g class={`edge e-${e.kind}${wasTaken(e, statuses, taken) ? ' taken' : ''}`} data-edge={`${e.from}->${e.to}`}>
          <path d={pathOf(e.points)} marker-end={wasTaken(e, statuses, taken) ? 'url(#arrow-taken)' : 'url(#arrow)'} />
          {e.labelAt && (
            <text x={e.labelAt.x} y={e.labelAt.y + 4} text-anchor="middle" class="edge-label">{e.label}</text>
          )}
        </g>
      ))}
      {layout.nodes.map((n) => {
        if (n.terminal) {
          return <circle class={`terminal t-${n.type}`} cx={n.x + n.width / 2} cy={n.y + n.height / 2} r={n.width / 2} />;
        }
        const summary = (statuses && statuses[n.name]) || { status: statuses ? 'not-run' : 'none' };
        const box = Boolean(n.children);
        const cls = `state st-${summary.status}${selected === n.name ? ' selected' : ''}${box ? ' box' : ''}`;
        const badges = [];
        if (summary.runs > 1) badges.push(`×${summary.runs}`);
        if (summary.retries > 0) badges.push(`${summary.retries} ${summary.retries === 1 ? 'retry' : 'retries'}`);
        const title = `${n.name} (${n.type})${statuses ? `: ${STATUS_TEXT[summary.status] || summary.status}` : ''}`;
        return (
          <g class={cls} data-state={n.name} data-status={summary.status} data-testid={`state-${n.name}`}
            transform={`translate(${n.x},${n.y})`} tabIndex={onSelect ? 0 : undefined} role={onSelect ? 'button' : undefined}
            aria-label={title} onClick={(ev) => { ev.stopPropagation(); onSelect && onSelect(n.name); }}
            onKeyDown={(ev) => {
              if (onSelect && (ev.key === 'Enter' || ev.key === ' ')) {
                ev.preventDefault();
                ev.stopPropagation();
                onSelect(n.name);
              }
            }}>
            <title>{title}</title>
            <rect width={n.width} height={n.height} rx={box ? 8 : 6} />
            {box ? (
              <text x={10} y={18} class="label">{shorten(n.name)} <tspan class="type">{n.type}</tspan></text>
            ) : (
              <>
                <text x={n.width / 2} y={17} text-anchor="middle" class="label">{shorten(n.name)}</text>
                <text x={n.width / 2} y={31} text-anchor="middle" class="type">{n.type}{badges.length ? ` · ${badges.join(' · ')}` : ''}</text>
              </>
            )}
            {box && badges.length > 0 && <text x={n.width - 10} y={18} text-anchor="end" class="type">{badges.join(' · ')}</text>}
            {box && n.children.map((c) => (
              <g>
                <text x={c.x + 2} y={c.y - 5} class="branch-label">{c.label}</text>
                <Scope layout={c.layout} statuses={statuses} taken={taken} selected={selected} onSelect={onSelect} x={c.x} y={c.y} />
              </g>
            ))}
          </g>
        );
      })}
    </g>
  );
}

export function GraphView({ definition, statuses, taken, selected, onSelect }) {
  const layout = useMemo(() => {
    try {
      return layoutScope(definition);
    } catch (e) {
      return { error: e.message };
    }
  }, [definition]);
  const [fit, setFit] = useState(true);
  if (layout.error) return <div class="problem">The graph could not be drawn: {layout.error}</div>;
  const pad = 8;
  const w = layout.width + pad * 2;
  const h = layout.height + pad * 2;
  return (
    <div class={`graph${fit ? ' fit' : ''}`} data-testid="graph">
      <div class="graph-tools">
        <button class="link" onClick={() => setFit(!fit)}>{fit ? 'Actual size' : 'Fit'}</button>
        {statuses && (
          <span class="legend">
            {['succeeded', 'failed', 'caught', 'running', 'cancelled', 'not-run'].map((s) => (
              <span class={`key st-${s}`}><i />{STATUS_TEXT[s]}</span>
            ))}
          </span>
        )}
      </div>
      <svg viewBox={`${-pad} ${-pad} ${w} ${h}`} width={fit ? '100%' : w} height={fit ? undefined : h}
        style={fit ? { maxWidth: `${Math.round(w * 1.35)}px` } : undefined} onClick={() => onSelect && onSelect(null)}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
          <marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-taken" />
          </marker>
        </defs>
        <Scope layout={layout} statuses={statuses} taken={taken} selected={selected} onSelect={onSelect} />
      </svg>
    </div>
  );
}
