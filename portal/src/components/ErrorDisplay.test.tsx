import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError, toApiError } from "../api/errors";
import { ErrorDisplay } from "./ErrorDisplay";
import { FormField } from "./FormField";

const invalid = toApiError(400, {
  title: "Bad Request",
  status: 400,
  detail: "Invalid input: name, tags",
  request_id: "r",
  errors: [
    { field: "name", message: "must be a slug" },
    { field: "tags.2", message: "at most 64 characters" },
    { field: "tier", message: "must be 1 to 4" },
  ],
});

function Form({ error }: { error: unknown }) {
  return (
    <form aria-label="service">
      <ErrorDisplay error={error} placedFields={["name", "tags"]} />
      <FormField label="Name" name="name" error={error}>
        {(control) => <input {...control} />}
      </FormField>
      <FormField label="Tags" name="tags" error={error}>
        {(control) => <input {...control} />}
      </FormField>
      <FormField label="Description" name="description" error={error}>
        {(control) => <input {...control} />}
      </FormField>
    </form>
  );
}

describe("problem+json errors", () => {
  it("puts the detail in an alert and each field's message next to its field", () => {
    render(<Form error={invalid} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Invalid input: name, tags");
    const name = screen.getByRole("textbox", { name: "Name" });
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription("must be a slug");
    // A message for an item of a list belongs to the list's field.
    expect(screen.getByRole("textbox", { name: "Tags" })).toHaveAccessibleDescription("at most 64 characters");
    const description = screen.getByRole("textbox", { name: "Description" });
    expect(description).not.toHaveAttribute("aria-invalid");
    expect(description).not.toHaveAccessibleDescription();
    // A field the form does not show is not lost: it is listed in the alert.
    expect(alert).toHaveTextContent("tier: must be 1 to 4");
    expect(alert).not.toHaveTextContent("must be a slug");
  });

  it("shows a 403's message as the API wrote it", () => {
    render(<ErrorDisplay error={toApiError(403, { title: "Forbidden", status: 403, detail: "Only the owner may change this service.", request_id: "r" })} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Only the owner may change this service.");
  });

  it("explains a body that is not problem+json instead of crashing", () => {
    const error = toApiError(500, "<html>oops</html>");
    expect(error).toBeInstanceOf(ApiError);
    render(<ErrorDisplay error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent("unexpected error (HTTP 500)");
  });

  it("offers Retry for a network failure", async () => {
    const retry = vi.fn();
    render(<ErrorDisplay error={new NetworkError()} onRetry={retry} />);
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(retry).toHaveBeenCalledOnce();
  });

  it("shows nothing without an error", () => {
    render(<ErrorDisplay error={null} />);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
