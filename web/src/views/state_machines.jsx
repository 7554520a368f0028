export function StateMachinesPage() { return <div>State machines</div>; }
export function StateMachinePage({ name }) { return <div>{name}</div>; }
