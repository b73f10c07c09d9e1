// Test helper (never exported by the package): the real celgate service, started in-process
// over an in-memory PGlite, as the SDK's and the CLI's tests need it. Importing apps/server
// is allowed here because this file only ever runs under the test runner.
import { fileURLToPath } from "node:url";
import {
  createLogger,
  type Database,
  loadConfig,
  openPglite,
  type RunningServer,
  startServer,
} from "../../../../apps/server/src/index.js";

export const TEST_ADMIN_TOKEN = "sdk-test-admin-token-0123456789";
export const TEST_POLICY_DIR = fileURLToPath(new URL("../testdata/policies", import.meta.url));

export interface TestService {
  baseUrl: string;
  port: number;
  adminToken: string;
  /** Stops the HTTP server, keeping the database, as a crash or a rolling restart would. */
  stop(): Promise<void>;
  /** Starts the HTTP server again on the same port, over the same database. */
  restart(): Promise<void>;
  /** Stops the server and closes the database. */
  close(): Promise<void>;
}

/** Starts the service on a free port of 127.0.0.1, with the admin token TEST_ADMIN_TOKEN. */
export async function startTestService(
  options: { policyDir?: string; bodyLimit?: string; env?: Record<string, string> } = {},
): Promise<TestService> {
  const database: Database = await openPglite("memory://");
  const logger = createLogger(process.env.CELGATE_TEST_LOG ?? "silent");
  const config = (port: number) =>
    loadConfig({
      PORT: String(port),
      HOST: "127.0.0.1",
      CELGATE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      CELGATE_POLICY_DIR: options.policyDir ?? TEST_POLICY_DIR,
      CELGATE_MAX_BODY_BYTES: options.bodyLimit ?? "3mib",
      CELGATE_SHUTDOWN_TIMEOUT_S: "1",
      LOG_LEVEL: "silent",
      ...(options.env ?? {}),
    });
  let server: RunningServer | undefined = await startServer(config(0), { database, logger });
  const port = server.port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    adminToken: TEST_ADMIN_TOKEN,
    async stop() {
      await server?.close();
      server = undefined;
    },
    async restart() {
      server ??= await startServer(config(port), { database, logger });
    },
    async close() {
      await server?.close();
      server = undefined;
      await database.close();
    },
  };
}
