export { type App, type AppDeps, createApp } from "./app.js";
export { type Database, openDatabase, openPglite, openPostgres } from "./db/client.js";
export { type Config, ConfigError, loadConfig } from "./env.js";
export { createLogger } from "./lib/logger.js";
export { Metrics } from "./lib/metrics.js";
export { type RunningServer, startServer } from "./server.js";
export { createServices, type Services } from "./services/index.js";
