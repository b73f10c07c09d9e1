import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Static assets served by the service at `/` (apps/server/src/routes/system/console.ts). Workspace
// packages resolve to their built dist (turbo builds them first); nothing is loaded from another origin.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // a source map per chunk would double what the image carries; the sources are in the repository
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
});
