// The console: a hash-routed single page (#/executions, #/executions/<id>,
// #/state-machines, #/state-machines/<name>, #/audit) over the REST API.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  completeSignIn, currentSession, displayName, readConfig, signIn, signOut, usePastedToken,
} from './auth.js';
import { api, setUnauthorizedHandler } from './api.js';
import { ExecutionsPage } from './views/executions.jsx';
import { ExecutionPage } from './views/execution.jsx';
import { StateMachinesPage, StateMachinePage } from './views/state_machines.jsx';
import { AuditPage } from './views/audit.jsx';
import { TasksPage } from './views/tasks.jsx';

const config = readConfig();

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/executions';
  const [path, queryText = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(queryText), hash };
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => {
    const changed = () => setRoute(parseRoute());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function SignIn({ reason, error }) {
  const auth = config.auth;
  const [failure, setFailure] = useState(error || '');
  const [pasted, setPasted] = useState('');
  const start = async () => {
    setFailure('');
    try {
      await signIn(auth, location.hash);
    } catch (e) {
      setFailure(e.message);
    }
  };
  return (
    <div class="signin">
      <h1>stepd</h1>
      {reason && <p class="muted">{reason}</p>}
      {auth.mode === 'oidc' && (
        <button class="primary" data-testid="sign-in" onClick={start}>Sign in with {hostOf(auth.issuer)}</button>
      )}
      {auth.mode === 'token' && (
        <form onSubmit={(e) => {
          e.preventDefault();
          try {
            usePastedToken(pasted);
            location.reload();
          } catch (err) {
            setFailure(err.message);
          }
        }}>
          <p>Authentication is on and no console sign-in client is configured
            (<code>console.oidc.client_id</code>). Paste an OIDC bearer token:</p>
          <textarea data-testid="token" rows="4" value={pasted} onInput={(e) => setPasted(e.target.value)} />
          <button class="primary" type="submit">Use token</button>
        </form>
      )}
      {failure && <p class="error" data-testid="sign-in-error">{failure}</p>}
    </div>
  );
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function Shell({ session, onSignOut }) {
  const route = useRoute();
  const [me, setMe] = useState(null);
  useEffect(() => {
    api('/v1/me').then(setMe).catch(() => setMe(null));
  }, []);
  const [section, id] = route.parts;
  let page;
  if (section === 'executions' && id) page = <ExecutionPage id={id} key={id} query={route.query} />;
  else if (section === 'state-machines' && id) page = <StateMachinePage name={id} key={id} />;
  else if (section === 'state-machines') page = <StateMachinesPage />;
  else if (section === 'audit') page = <AuditPage query={route.query} />;
  else if (section === 'tasks') page = <TasksPage />;
  else page = <ExecutionsPage query={route.query} />;
  const tab = (name, label) => (
    <a href={`#/${name}`} class={section === name || (!section && name === 'executions') ? 'active' : ''}>{label}</a>
  );
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/executions">stepd</a>
        <nav>
          {tab('executions', 'Executions')}
          {tab('state-machines', 'State machines')}
          {tab('tasks', 'Waiting tasks')}
          {tab('audit', 'Audit log')}
        </nav>
        <div class="who">
          {config.version && <span class="muted">v{config.version}</span>}
          {session ? (
            <>
              <span data-testid="user" title={me ? me.principal : ''}>{displayName(session)}</span>
              {me && <span class="muted" data-testid="roles">{me.roles}</span>}
              <button class="link" data-testid="sign-out" onClick={onSignOut}>Sign out</button>
            </>
          ) : (
            <span class="muted" data-testid="user">local mode</span>
          )}
        </div>
      </header>
      <main>{page}</main>
    </div>
  );
}

function App() {
  const auth = config.auth;
  const [state, setState] = useState({ phase: 'starting' });
  useEffect(() => {
    setUnauthorizedHandler((problem) => {
      signOut();
      setState({ phase: 'signed-out', reason: `Your session ended: ${problem.detail || 'sign in again'}.` });
    });
    if (auth.mode === 'none') {
      setState({ phase: 'ready', session: null });
      return;
    }
    completeSignIn(auth).then((done) => {
      const session = (done && done.session) || currentSession();
      setState(session ? { phase: 'ready', session } : { phase: 'signed-out' });
    }).catch((e) => setState({ phase: 'signed-out', error: e.message }));
  }, []);
  if (state.phase === 'starting') return <div class="signin muted">Loading…</div>;
  if (state.phase === 'signed-out') return <SignIn reason={state.reason} error={state.error} />;
  return (
    <Shell session={state.session} onSignOut={() => {
      signOut();
      setState({ phase: 'signed-out', reason: 'You signed out.' });
    }} />
  );
}

render(<App />, document.getElementById('app'));
