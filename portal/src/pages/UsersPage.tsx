import { Placeholder } from "../components/Page";

export default function UsersPage() {
  return <Placeholder title="Users" />;
}
