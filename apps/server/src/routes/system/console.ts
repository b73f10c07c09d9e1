/**
 * The web console (apps/web, built to static files) at `/`, and the API reference's script at
 * `/docs/assets/`, both from this origin: nothing a browser loads from the service points
 * elsewhere, so the console and `/docs` work without internet access.
 *
 * The console is optional: without a built console the service starts and serves the API as
 * before, and `/` answers 404 saying so.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Scalar } from "@scalar/hono-api-reference";
import type { Context, MiddlewareHandler } from "hono";
import type { App } from "../../app.js";
import type { AppEnv } from "../../lib/context.js";
import type { Logger } from "../../lib/logger.js";

/** Paths the console never answers, even for a client route: the API and the service's own pages. */
export const RESERVED_PREFIXES = ["/v1", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

/**
 * Same origin only. Styles allow inline attributes (the chart library sets them); scripts do
 * not: the console has no inline script. `wasm-unsafe-eval` is not granted.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The API reference starts from one inline script (its configuration); still nothing from another origin. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

interface StaticFile {
  body: Uint8Array;
  type: string;
  etag: string;
  /** Hashed names under /assets/ never change: cached for a year. Others are revalidated. */
  immutable: boolean;
}

/** Case-insensitive: `/V1/policies` is a mistyped API call, not a page of the console. */
const reserved = (path: string) => {
  const lower = path.toLowerCase();
  return RESERVED_PREFIXES.some((p) => lower === p || lower.startsWith(`${p}/`) || lower.startsWith(`${p}:`));
};

/** Longer than any route of the console with its longest name; a longer path is a 404. */
const MAX_ROUTE_LENGTH = 512;

/**
 * Whether `path` (as Hono decodes it) may be one of the console's own routes: segments of plain
 * URL characters, none empty, `.` or `..`. An encoded slash or backslash (kept encoded by the
 * decoding), a NUL or other control character, a space or a path longer than any route is a 404:
 * those are probes or mistakes, and answering them with the page would hide that.
 */
export function isClientRoute(path: string): boolean {
  if (path === "/") return true;
  if (path.length > MAX_ROUTE_LENGTH) return false;
  const segments = path.slice(1).replace(/\/$/, "").split("/");
  return segments.every((s) => /^[A-Za-z0-9._~@:+=,;!*'()-]+$/.test(s) && s !== "." && s !== "..");
}

/**
 * Whether the request is a browser navigating (the only request the page answers at a client
 * route): `Sec-Fetch-Mode: navigate` when the browser sends it, else an Accept that takes HTML.
 * A script's fetch or import of a missing path gets a 404, not HTML it cannot use.
 */
function isNavigation(c: Context<AppEnv>): boolean {
  const mode = c.req.header("sec-fetch-mode");
  if (mode !== undefined) return mode === "navigate";
  const accept = c.req.header("accept");
  return accept === undefined || /(^|[,\s])(text\/html|\*\/\*)/.test(accept);
}

/** Every file of the built console, read once at start; none when the folder has no index.html. */
export function loadConsole(dir: string): Map<string, StaticFile> | null {
  if (!existsSync(join(dir, "index.html"))) return null;
  const files = new Map<string, StaticFile>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      // dot files (the build's .vite/manifest.json) are for tools, not browsers
      if (name.startsWith(".")) continue;
      const full = join(folder, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const path = `/${relative(dir, full).split(sep).join("/")}`;
        files.set(path, {
          body,
          type: TYPES[extname(name).toLowerCase()] ?? "application/octet-stream",
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
          immutable: path.startsWith("/assets/"),
        });
      }
    }
  };
  walk(dir);
  return files;
}

function send(c: Context<AppEnv>, file: StaticFile, csp: string): Response {
  const headers: Record<string, string> = {
    "Content-Type": file.type,
    ETag: file.etag,
    "Cache-Control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "Content-Security-Policy": csp,
    "Referrer-Policy": "no-referrer",
    // frame-ancestors says the same to browsers that read it; this one is for those that do not
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  if (c.req.method === "HEAD") return c.body(null, 200, headers);
  return c.body(file.body as Uint8Array<ArrayBuffer>, 200, headers);
}

/**
 * Serves the console at `/` with a fallback to index.html for its client routes. Registered
 * after every API route; reserved paths fall through to the API's 404.
 */
export function mountConsole(app: App, dir: string, logger: Logger): void {
  const files = loadConsole(dir);
  if (!files) logger.info({ dir }, "web console not built: / answers 404, the API is unaffected");
  else logger.info({ dir, files: files.size }, "web console loaded");
  const index = files?.get("/index.html");
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    const path = c.req.path;
    if (reserved(path)) return next();
    c.set("route", "/(console)");
    if (!files || !index) return next();
    const file = files.get(path);
    if (file) return send(c, file, CONSOLE_CSP);
    // A missing hashed asset or file with an extension is a 404, not the page: a stale page
    // asking for an old chunk must fail visibly rather than parse HTML as JavaScript.
    if (path.startsWith("/assets/") || extname(path) !== "") return next();
    if (!isClientRoute(path) || !isNavigation(c)) return next();
    return send(c, index, CONSOLE_CSP);
  };
  app.on(["GET", "HEAD"], "*", handler);
}

/** Where the API reference's browser script is: copied into dist/ at build, else the installed package. */
export function findReferenceScript(): { path: string; version: string } | null {
  const copied = fileURLToPath(new URL("../../docs-assets/api-reference.js", import.meta.url));
  const copiedVersion = fileURLToPath(new URL("../../docs-assets/VERSION", import.meta.url));
  if (existsSync(copied) && existsSync(copiedVersion))
    return { path: copied, version: readFileSync(copiedVersion, "utf8").trim() };
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("@scalar/api-reference");
    // dist/index.js -> the package folder
    const root = dirname(dirname(main));
    const path = join(root, "dist", "browser", "standalone.js");
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    return existsSync(path) ? { path, version } : null;
  } catch {
    return null;
  }
}

/**
 * `/docs`: the API reference page, its script served from this origin under a versioned name
 * (cached for a year) and the default web fonts turned off. Without the script (a build that
 * did not copy it) `/docs` says so with a 503 instead of sending the browser elsewhere.
 */
export function mountDocs(app: App, logger: Logger): void {
  const script = findReferenceScript();
  const scriptPath = script ? `/docs/assets/api-reference-${script.version}.js` : null;
  let body: Uint8Array | undefined;
  let etag: string | undefined;
  app.use("/docs", async (c, next) => {
    c.set("route", "/docs");
    await next();
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "no-cache");
  });
  if (!scriptPath || !script) {
    logger.warn("the API reference's script was not found: /docs answers 503");
    app.get("/docs", (c) =>
      c.text(
        "The API reference is not installed in this build; the OpenAPI document is at /openapi.json.",
        503,
      ),
    );
    return;
  }
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "celgate API",
      cdn: scriptPath,
      withDefaultFonts: false,
      hideClientButton: true,
    }),
  );
  app.get(scriptPath, (c) => {
    c.set("route", "/docs/assets");
    body ??= readFileSync(script.path);
    etag ??= `"${script.version}"`;
    return send(
      c,
      { body, etag, type: TYPES[".js"]!, immutable: true },
      "default-src 'none'; frame-ancestors 'none'",
    );
  });
}
