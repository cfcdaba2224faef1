import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";
import { resetSessionForTests } from "../auth/session";

// Pages are lazily loaded chunks: the first import of one in a test file takes a moment.
configure({ asyncUtilTimeout: 4000 });

afterEach(() => {
  cleanup();
  resetSessionForTests();
  window.sessionStorage.clear();
});
