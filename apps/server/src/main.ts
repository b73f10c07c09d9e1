// The service's entry point: `node dist/main.js`. Configuration comes from the environment.
import { ConfigError, loadConfig } from "./env.js";
import { createLogger } from "./lib/logger.js";
import { startServer } from "./server.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`celgate: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`celgate: ${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err }, "start failed");
    process.exit(1);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, "signal received");
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

void main();
