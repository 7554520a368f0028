export function ExecutionsPage() { return <div data-testid="executions">Executions</div>; }
