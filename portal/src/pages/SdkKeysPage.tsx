import { Placeholder } from "../components/Page";

export default function SdkKeysPage() {
  return <Placeholder title="SDK keys" />;
}
