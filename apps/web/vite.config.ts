import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// Static assets served by the service at `/` (apps/server/src/routes/system/console.ts). Workspace
// packages are bundled from their TypeScript sources (the "source" condition), so the console
// never carries a stale dist/; nothing is loaded from another origin.
// `vite` (the dev server) sends the API's paths to a running service, so the console in
// development talks to it as if from its own origin.
const service = process.env.CELGATE_DEV_SERVICE ?? "http://localhost:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(
      ["/v1", "/healthz", "/readyz", "/docs", "/openapi.json"].map((p) => [p, service]),
    ),
  },
  base: "/",
  resolve: { conditions: ["source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // dist/.vite/manifest.json: which chunks each page loads (read by the bench and test/browser/bundle.ts)
    manifest: true,
    // a source map per chunk would double what the image carries; the sources are in the repository
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
});
