export function ExecutionPage({ id }) { return <div>{id}</div>; }
