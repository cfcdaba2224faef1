/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The portal calls only same-origin /api/... paths; in development Vite forwards them to the API
// (scripts/dev serves it on IDP_PORT), stripping the prefix: /api/services → GET /services.
const apiPort = process.env.IDP_PORT ?? "8000";

export default defineConfig({
  plugins: [react()],
  // Absolute asset paths (/assets/...): index.html is served for every URL of the app.
  base: "/",
  server: {
    proxy: {
      "/api": {
        target: `http://127.0.0.1:${apiPort}`,
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/api(?=\/|$)/, "") || "/",
      },
    },
  },
  build: {
    outDir: "dist",
    // No inline scripts or data: URLs in the output (a strict CSP is applied in front of it).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
  },
});
