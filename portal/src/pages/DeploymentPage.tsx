import { Placeholder } from "../components/Page";

export default function DeploymentPage() {
  return <Placeholder title="Deployment" />;
}
