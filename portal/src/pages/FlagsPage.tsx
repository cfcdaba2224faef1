import { Placeholder } from "../components/Page";

export default function FlagsPage() {
  return <Placeholder title="Flags" />;
}
