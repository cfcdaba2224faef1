import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useSignIn } from "../api/hooks/useMe";
import type { ReturnState } from "../auth/RequireAuth";
import { useSession } from "../auth/session";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { useDocumentTitle } from "../components/Page";

/** Only paths inside the app: never send the person to another site after signing in. */
function safeReturn(from: unknown): string {
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") && !from.startsWith("/login")
    ? from
    : "/";
}

export default function LoginPage() {
  useDocumentTitle("Sign in");
  const { token, notice } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const signIn = useSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const returnTo = safeReturn((location.state as ReturnState | null)?.from);

  if (token && !signIn.isPending) return <Navigate to={returnTo} replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    signIn.mutate({ email, password }, { onSuccess: () => void navigate(returnTo, { replace: true }) });
  }

  return (
    <main id="main" className="login">
      <h1>Sign in to the Developer Platform</h1>
      {notice && !signIn.error && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <ErrorDisplay error={signIn.error} onRetry={() => signIn.mutate({ email, password })} placedFields={["email", "password"]} />
        <FormField label="Email" name="email" error={signIn.error}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          )}
        </FormField>
        <FormField label="Password" name="password" error={signIn.error}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </FormField>
        <button type="submit" disabled={signIn.isPending}>
          Sign in
        </button>
      </form>
    </main>
  );
}
