import { Placeholder } from "../components/Page";

export default function FlagPage() {
  return <Placeholder title="Flag" />;
}
