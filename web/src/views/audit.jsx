export function AuditPage() { return <div>Audit</div>; }
