import { Placeholder } from "../components/Page";

export default function AuditPage() {
  return <Placeholder title="Audit trail" />;
}
