// A statement that writes a secret and fails must not carry the secret into the logs: drizzle
// puts its parameters in the error, and PostgreSQL quotes the failing row. Made to fail for
// real (a constraint the row breaks), on both databases, logged as app.onError logs.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { RedactionService } from "../services/redaction.js";
import { SigningKeyService } from "../services/signing-keys.js";
import { WebhookService } from "../services/webhooks.js";
import { BACKENDS, capturingLogger, openTestDatabase } from "../test/harness.js";
import { errorCode, isUnavailable } from "./errors.js";
import { Metrics } from "./metrics.js";
import { safeErrorText, withoutParameters, withoutSecrets } from "./secret-errors.js";

const SECRET = "webhook-secret-that-must-stay-hidden-0123456789";

describe.each(BACKENDS)("failed writes of secrets on %s", (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase(backend));
  });
  afterAll(() => drop());

  /** Logs a failure as the app's error handler does; returns the log line. */
  function logged(err: unknown): string {
    lines.length = 0;
    logger.error({ err }, "request failed");
    return lines.join("");
  }

  it("logs any failed statement, as it is thrown, without its parameters or the row it quotes", async () => {
    await database.db.execute(sql.raw("create table logged_probe (v text check (v <> v))"));
    const err = await database.db
      .execute(sql`insert into logged_probe (v) values (${`row holding ${SECRET}`})`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(
      JSON.stringify({ message: (err as Error).message, cause: String((err as Error).cause) }),
    ).toContain(SECRET); // what the driver says holds it: the logger must drop it
    const line = logged(err);
    expect(line).toContain("insert into logged_probe");
    expect(line).toContain("23514");
    expect(line).not.toContain(SECRET);
  });

  it("keeps a webhook's secret out of the error and the log", async () => {
    await database.db.execute(
      sql.raw(
        "alter table webhooks add constraint refuse_marked check (description is distinct from 'refuse')",
      ),
    );
    const err = await new WebhookService(database.db, logger, new Metrics())
      .create("admin", {
        url: "https://hooks.example/x",
        events: ["finding.opened"],
        secret: SECRET,
        description: "refuse",
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const line = logged(err);
    expect(line).toContain("Failed query: insert into");
    expect(line).not.toContain(SECRET);
    expect(errorCode(err)).toBe("23514"); // still mapped like any check violation
  });

  it("keeps a generated signing key out of the error and the log", async () => {
    await database.db.execute(
      sql.raw(
        "alter table signing_keys add constraint refuse_generated check (source <> 'generated') not valid",
      ),
    );
    const keys = new SigningKeyService(database.db);
    const err = await keys.active().catch((e: unknown) => e);
    const rotated = await keys.rotate("admin").catch((e: unknown) => e);
    for (const e of [err, rotated]) {
      expect(e).toBeInstanceOf(Error);
      const line = logged(e);
      expect(line).not.toContain("PRIVATE KEY");
      expect(line).not.toMatch(/MC4CAQAwBQYDK2Vw/); // the PKCS#8 prefix of an Ed25519 key, base64
      expect(errorCode(e)).toBe("23514");
    }
  });

  it("keeps the redaction key out of the error and the log", async () => {
    await database.db.execute(
      sql.raw("alter table settings add constraint refuse_key check (key <> 'redaction_key') not valid"),
    );
    const err = await new RedactionService(database.db).key().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const line = logged(err);
    expect(line).toContain("withheld");
    // the generated key is 43 base64url characters; nothing that long is in the line but the statement
    expect(line).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });
});

describe("withoutSecrets", () => {
  it("keeps what says the database is unreachable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const wrapped = Object.assign(new Error("Failed query: insert ...\nparams: a-secret"), {
      query: "insert ...",
      params: ["a-secret"],
      cause: refused,
    });
    const clean = withoutSecrets(wrapped);
    expect(isUnavailable(clean)).toBe(true);
    expect(JSON.stringify({ m: (clean as Error).message, c: String((clean as Error).cause) })).not.toContain(
      "a-secret",
    );
  });
});

describe("withoutParameters", () => {
  it("leaves an error that is no failed statement as it is", () => {
    const lost = new Error("the change was taken over by another instance (lease lost)");
    expect(withoutParameters(lost)).toBe(lost);
    expect(safeErrorText(lost)).toBe(lost.message);
    expect(safeErrorText("a string")).toBe("a string");
  });

  it("withholds the words of a driver's error, bare or wrapped, keeping its SQLSTATE", () => {
    const bare = Object.assign(new Error('invalid input syntax for type integer: "a-secret"'), {
      code: "22P02",
    });
    const wrapping = new Error("re-evaluating failed", { cause: bare });
    for (const err of [bare, wrapping]) {
      const text = safeErrorText(err);
      expect(text).not.toContain("a-secret");
      expect(text).toContain("22P02");
      expect(errorCode(withoutParameters(err))).toBe("22P02");
    }
  });
});
