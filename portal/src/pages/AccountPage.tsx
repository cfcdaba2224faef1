import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useChangePassword } from "../api/hooks/useMe";
import { endSession, PASSWORD_CHANGED_NOTICE } from "../auth/session";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Page } from "../components/Page";

export default function AccountPage() {
  const user = useUser();
  const change = useChangePassword();
  const queryClient = useQueryClient();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate(
      { current_password: currentPassword, new_password: newPassword },
      {
        // The API ends every earlier token, this one too: sign in again (and come back here).
        onSuccess: () => {
          queryClient.clear();
          endSession(PASSWORD_CHANGED_NOTICE);
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
