import { useState, type FormEvent } from "react";
import { ApiError } from "../api/errors";
import { useCreateUser, useDeleteUser, useUpdateUser, useUsers } from "../api/hooks/useUsers";
import { ROLES, type Role, type User } from "../api/types";
import { useUser } from "../auth/user-context";
import { AdminsOnly } from "../components/AdminsOnly";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Page } from "../components/Page";
import { QueryState } from "../components/QueryState";
import { Options } from "../components/Options";
import { FormActions } from "../components/FormActions";

export default function UsersPage() {
  return (
    <AdminsOnly title="Users">
      <Users />
    </AdminsOnly>
  );
}

function Users() {
  const users = useUsers();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  return (
    <Page
      title="Users"
      actions={
        !creating && (
          <button type="button" onClick={() => { setCreated(null); setCreating(true); }}>
            New user
          </button>
        )
      }
    >
      {creating ? (
        <NewUserForm
          onCreated={(user) => {
            setCreating(false);
            setCreated(`Created ${user.name} (${user.email}) as ${user.role}.`);
          }}
          onCancel={() => setCreating(false)}
        />
      ) : (
        <>
          <p role="status" className="success-text">
            {created}
          </p>
          <QueryState query={users} what="the users">
            {(all) => <UserTable users={all} />}
          </QueryState>
        </>
      )}
    </Page>
  );
}

function NewUserForm({ onCreated, onCancel }: { onCreated: (user: User) => void; onCancel: () => void }) {
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("developer");
  const send = () => create.mutate({ email, name, password, role }, { onSuccess: onCreated });
  function submit(event: FormEvent) {
    event.preventDefault();
    send();
  }
  return (
    <section aria-labelledby="new-user-heading" className="panel">
      <h2 id="new-user-heading">New user</h2>
      <form onSubmit={submit} noValidate aria-label="New user">
        <ErrorDisplay error={create.error} onRetry={send} placedFields={["email", "name", "password", "role"]} />
        <FormField label="Email" name="email" error={create.error}>
          {(control) => <input {...control} type="email" autoComplete="off" value={email} onChange={(event) => setEmail(event.target.value)} />}
        </FormField>
        <FormField label="Name" name="name" error={create.error}>
          {(control) => <input {...control} value={name} onChange={(event) => setName(event.target.value)} />}
        </FormField>
        {/* A visible text field: the admin hands this first password over; the user changes it in Account. */}
        <FormField label="Password" name="password" error={create.error} hint="10 to 128 characters; they can change it under Account.">
          {(control) => <input {...control} type="text" autoComplete="off" value={password} onChange={(event) => setPassword(event.target.value)} />}
        </FormField>
        <FormField label="Role" name="role" error={create.error}>
          {(control) => (
            <select {...control} value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <Options values={ROLES} />
            </select>
          )}
        </FormField>
        <FormActions submit="Create user" pending={create.isPending} onCancel={onCancel} />
      </form>
    </section>
  );
}

function UserTable({ users }: { users: User[] }) {
  const sorted = [...users].sort((a, b) => (a.name || a.email).localeCompare(b.name || b.email));
  return (
    <table>
      <caption className="visually-hidden">Users</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">State</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((user) => (
          <UserRow key={user.id} user={user} />
        ))}
      </tbody>
    </table>
  );
}

/** A refusal by one of the API's guards (last admin, yourself) is a message, not a failure. */
function Outcome({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 409) {
    return (
      <p role="status" className="notice">
        {error.problem.detail}
      </p>
    );
  }
  return <ErrorDisplay error={error} />;
}

function UserRow({ user }: { user: User }) {
  const me = useUser();
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const [confirming, setConfirming] = useState(false);
  const label = user.name || user.email;
  const lastError = remove.error ?? update.error;
  return (
    <tr>
      <th scope="row">
        {label}
        {user.id === me.id && " (you)"}
      </th>
      <td>{user.email}</td>
      <td>
        <label htmlFor={`role-${user.id}`} className="visually-hidden">
          Role of {label}
        </label>
        <select
          id={`role-${user.id}`}
          value={user.role}
          disabled={update.isPending}
          onChange={(event) => {
            remove.reset();
            update.mutate({ id: user.id, role: event.target.value as Role, version: user.version });
          }}
        >
          <Options values={ROLES} />
        </select>
      </td>
      <td>{user.disabled ? "disabled" : "active"}</td>
      <td>
        <div className="action-with-error">
          <div className="form-actions">
            <button
              type="button"
              className="secondary"
              disabled={update.isPending}
              onClick={() => {
                remove.reset();
                update.mutate({ id: user.id, disabled: !user.disabled, version: user.version });
              }}
            >
              {user.disabled ? "Enable" : "Disable"}
            </button>
            {confirming ? (
              <>
                <span>Delete {label}?</span>
                <button
                  type="button"
                  className="danger"
                  disabled={remove.isPending}
                  onClick={() => {
                    update.reset();
                    remove.mutate(user.id, { onSettled: () => setConfirming(false) });
                  }}
                >
                  Delete
                </button>
                <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>
                Delete user
              </button>
            )}
          </div>
          <Outcome error={lastError} />
        </div>
      </td>
    </tr>
  );
}
