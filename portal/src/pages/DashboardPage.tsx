import { Placeholder } from "../components/Page";

export default function DashboardPage() {
  return <Placeholder title="Dashboard" />;
}
