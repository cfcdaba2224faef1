import { QueryClient } from "@tanstack/react-query";
import { NetworkError } from "./errors";

/**
 * One QueryClient for the app. The API's own refusals (4xx) are final: shown at once, not
 * retried. A request that got no answer is retried once, then shown with a Retry button.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) => error instanceof NetworkError && failures < 1,
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
      mutations: { retry: false },
    },
  });
}
