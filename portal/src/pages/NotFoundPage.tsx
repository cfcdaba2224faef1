import { Link } from "react-router";
import { useDocumentTitle } from "../components/Page";

/** Any URL the portal does not know. */
export default function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <section className="page-not-found">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </section>
  );
}
