import { useState, type FormEvent } from "react";
import { useChangePassword } from "../api/hooks/useMe";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Page } from "../components/Page";

export default function AccountPage() {
  const user = useUser();
  const change = useChangePassword();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate(
      { current_password: currentPassword, new_password: newPassword },
      {
        onSuccess: () => {
          setCurrentPassword("");
          setNewPassword("");
        },
      },
    );
  }

  return (
    <Page title="Your account">
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
      </dl>
      <section aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <form onSubmit={submit} noValidate>
          <ErrorDisplay
            error={change.error}
            onRetry={() => change.mutate({ current_password: currentPassword, new_password: newPassword })}
            placedFields={["current_password", "new_password"]}
          />
          {change.isSuccess && (
            <p role="status" className="success">
              Your password was changed. Other sessions are signed out.
            </p>
          )}
          <FormField label="Current password" name="current_password" error={change.error}>
            {(control) => (
              <input
                {...control}
                type="password"
                autoComplete="current-password"
                value={currentPassword}
                onChange={(event) => setCurrentPassword(event.target.value)}
              />
            )}
          </FormField>
          <FormField label="New password" name="new_password" error={change.error} hint="10 to 128 characters.">
            {(control) => (
              <input
                {...control}
                type="password"
                autoComplete="new-password"
                value={newPassword}
                onChange={(event) => setNewPassword(event.target.value)}
              />
            )}
          </FormField>
          <button type="submit" disabled={change.isPending}>
            Change password
          </button>
        </form>
      </section>
    </Page>
  );
}
