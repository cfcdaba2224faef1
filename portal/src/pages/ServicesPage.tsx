import { Placeholder } from "../components/Page";

export default function ServicesPage() {
  return <Placeholder title="Services" />;
}
