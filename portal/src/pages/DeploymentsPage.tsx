import { Placeholder } from "../components/Page";

export default function DeploymentsPage() {
  return <Placeholder title="Deployments" />;
}
