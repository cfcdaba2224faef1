import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { QueryClientProvider } from "@tanstack/react-query";
import { App, memoryRouter } from "../App";
import { createQueryClient } from "../api/queryClient";
import { resetSessionForTests } from "../auth/session";

/** The whole portal opened at `url`, signed in with `token` when given. */
export function renderApp(url: string, { token = null }: { token?: string | null } = {}) {
  resetSessionForTests(token);
  const queryClient = createQueryClient();
  const router = memoryRouter(url);
  const result = render(<App queryClient={queryClient} router={router} />);
  return { ...result, router, queryClient };
}

/** One component with a fresh QueryClient (for hooks and shared pieces). */
export function renderWithQuery(ui: ReactNode) {
  const queryClient = createQueryClient();
  return { ...render(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>), queryClient };
}
