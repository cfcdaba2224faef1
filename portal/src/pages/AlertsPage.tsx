import { Placeholder } from "../components/Page";

export default function AlertsPage() {
  return <Placeholder title="Alerts" />;
}
