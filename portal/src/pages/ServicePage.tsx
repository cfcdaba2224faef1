import { Placeholder } from "../components/Page";

export default function ServicePage() {
  return <Placeholder title="Service" />;
}
