import { useState, type FormEvent } from "react";
import { useDirectory } from "../api/hooks/usePeople";
import { useCreateService, useUpdateService } from "../api/hooks/useServices";
import {
  LIFECYCLES,
  TIERS,
  type CreateServiceBody,
  type Lifecycle,
  type Person,
  type Service,
  type UpdateServiceBody,
} from "../api/types";
import { hasRole } from "../auth/roles";
import { useUser } from "../auth/user-context";
import { ErrorDisplay } from "../components/ErrorDisplay";
import { FormField } from "../components/FormField";
import { Options } from "../components/Options";
import { FormActions } from "../components/FormActions";

interface ServiceFormProps {
  /** Edit this service (PATCH with its `version`); without it the form creates one. */
  service?: Service;
  /** Called with the saved service. */
  onSaved: (service: Service) => void;
  onCancel?: () => void;
}

interface Values {
  name: string;
  description: string;
  repository_url: string;
  lifecycle: Lifecycle;
  tier: string;
  tags: string;
  owner_id: string;
}

const FIELDS = ["name", "description", "repository_url", "lifecycle", "tier", "tags", "owner_id"];

function initialValues(service: Service | undefined, ownerId: string): Values {
  return {
    name: service?.name ?? "",
    description: service?.description ?? "",
    repository_url: service?.repository_url ?? "",
    lifecycle: service?.lifecycle ?? "experimental",
    tier: service?.tier ? String(service.tier) : "",
    tags: service?.tags.join(", ") ?? "",
    owner_id: service?.owner_id ?? ownerId,
  };
}

/** "a, b,,c " → ["a", "b", "c"]: only the input format; the API judges the tags themselves. */
const parseTags = (text: string) => text.split(",").map((tag) => tag.trim()).filter(Boolean);

function toBody(values: Values, isAdmin: boolean): CreateServiceBody {
  return {
    name: values.name.trim(),
    description: values.description,
    repository_url: values.repository_url.trim() || null,
    lifecycle: values.lifecycle,
    tier: values.tier ? Number(values.tier) : null,
    tags: parseTags(values.tags),
    // Only admins choose; for everyone else the API makes the caller the owner.
    owner_id: isAdmin ? values.owner_id || null : null,
  };
}

/** The fields that differ from the service as read, plus its version (a stale one is a 409). */
function changes(service: Service, body: CreateServiceBody): UpdateServiceBody {
  const patch: UpdateServiceBody = { version: service.version };
  if (body.name !== service.name) patch.name = body.name;
  if (body.description !== service.description) patch.description = body.description;
  if (body.repository_url !== service.repository_url) patch.repository_url = body.repository_url;
  if (body.lifecycle !== service.lifecycle) patch.lifecycle = body.lifecycle;
  if (body.tier !== service.tier) patch.tier = body.tier;
  if (JSON.stringify(body.tags) !== JSON.stringify(service.tags)) patch.tags = body.tags;
  if (body.owner_id && body.owner_id !== service.owner_id) patch.owner_id = body.owner_id;
  return patch;
}

/** The person's name; with the email only when another person has the same name. */
function ownerLabel(person: Person, people: Person[]): string {
  const name = person.name || person.email;
  const shared = people.some((other) => other.id !== person.id && (other.name || other.email) === name);
  return shared && person.email ? `${name} (${person.email})` : name;
}

/**
 * New or edit service: textbox Name, Description, Repository URL, combobox Lifecycle, Tier,
 * textbox Tags (comma-separated), for admins combobox Owner; button Create service / Save.
 * The API's field errors appear next to their field; what was typed stays on an error.
 */
export function ServiceForm({ service, onSaved, onCancel }: ServiceFormProps) {
  const user = useUser();
  const isAdmin = hasRole(user, "admin");
  const [values, setValues] = useState<Values>(() => initialValues(service, user.id));
  const create = useCreateService();
  const update = useUpdateService(service?.id ?? "");
  const mutation = service ? update : create;
  const directory = useDirectory(isAdmin);

  const set = (field: keyof Values) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const body = toBody(values, isAdmin);
    if (service) update.mutate(changes(service, body), { onSuccess: onSaved });
    else create.mutate(body, { onSuccess: onSaved });
  }

  // The owner picker: the whole directory; until it answers, at least the current choice and you.
  const people = directory.data ?? [
    { id: user.id, name: user.name, email: user.email },
    ...(values.owner_id && values.owner_id !== user.id ? [{ id: values.owner_id, name: values.owner_id, email: "" }] : []),
  ];

  return (
    <form onSubmit={submit} noValidate aria-label={service ? `Edit ${service.name}` : "New service"}>
      <ErrorDisplay error={mutation.error} onRetry={() => submit()} placedFields={FIELDS} />
      <FormField label="Name" name="name" error={mutation.error} hint="Lower-case letters, digits and dashes.">
        {(control) => <input {...control} type="text" value={values.name} onChange={set("name")} required />}
      </FormField>
      <FormField label="Description" name="description" error={mutation.error}>
        {(control) => <textarea {...control} rows={3} value={values.description} onChange={set("description")} />}
      </FormField>
      <FormField label="Repository URL" name="repository_url" error={mutation.error}>
        {(control) => <input {...control} type="url" value={values.repository_url} onChange={set("repository_url")} />}
      </FormField>
      <FormField label="Lifecycle" name="lifecycle" error={mutation.error}>
        {(control) => (
          <select {...control} value={values.lifecycle} onChange={set("lifecycle")}>
            <Options values={LIFECYCLES} />
          </select>
        )}
      </FormField>
      <FormField label="Tier" name="tier" error={mutation.error}>
        {(control) => (
          <select {...control} value={values.tier} onChange={set("tier")}>
            <option value="">No tier</option>
            {TIERS.map((tier) => (
              <option key={tier} value={String(tier)}>
                Tier {tier}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <FormField label="Tags" name="tags" error={mutation.error} hint="Comma-separated, e.g. payments, python.">
        {(control) => <input {...control} type="text" value={values.tags} onChange={set("tags")} />}
      </FormField>
      {isAdmin && (
        <FormField label="Owner" name="owner_id" error={mutation.error}>
          {(control) => (
            <select {...control} value={values.owner_id} onChange={set("owner_id")}>
              {people.map((person) => (
                <option key={person.id} value={person.id}>
                  {ownerLabel(person, people)}
                </option>
              ))}
            </select>
          )}
        </FormField>
      )}
      <FormActions submit={service ? "Save" : "Create service"} pending={mutation.isPending} onCancel={onCancel} />
    </form>
  );
}
