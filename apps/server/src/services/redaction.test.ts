// Nothing secret is kept (docs/security.md, "Redaction"): through real HTTP on both databases,
// secret values reach neither the database, nor any answer, nor a replay.
import { createHash } from "node:crypto";
import { parseRedactionPaths } from "@celgate/core";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_ROLES } from "../lib/route.js";
import { BACKENDS, type Json, setupApp, type TestApp } from "../test/harness.js";
import {
  configMapObject,
  deploymentWithEnv,
  ECHO_POLICIES,
  expectNoSecret,
  manifestsYaml,
  REDACT_PATHS,
  SECRET_VALUES,
  secretObject,
} from "../test/secrets.js";
import { RedactionService } from "./redaction.js";

const MARKER = /celgate:redacted:hmac-sha256:[0-9a-f]{32}/;
const b64 = (text: string) => Buffer.from(text).toString("base64");

const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;

/** Every row of a table as text, straight from the database. */
async function tableText(t: TestApp, table: "inputs" | "evaluations" | "audit"): Promise<string> {
  const result = await t.database.db.execute(sql.raw(`select * from ${table}`));
  return JSON.stringify((result as unknown as { rows: unknown[] }).rows);
}

const admissionReview = (uid: string) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid,
    kind: { group: "", version: "v1", kind: "Secret" },
    resource: { group: "", version: "v1", resource: "secrets" },
    namespace: "shop",
    operation: "UPDATE",
    userInfo: { username: "alice" },
    object: secretObject(),
    oldObject: secretObject(SECRET_VALUES.oldPassword),
    dryRun: false,
  },
});

describe.each(BACKENDS)("redaction on %s", (backend) => {
  let t: TestApp;
  const ids: string[] = [];
  const answers: string[] = [];
  beforeAll(async () => {
    t = await setupApp(backend, {
      services: { redaction: { paths: parseRedactionPaths(REDACT_PATHS).paths } },
    });
    const created = await t.call("POST", "/v1/policies", { yaml: ECHO_POLICIES.split("---\n")[0]! });
    expect(created.status).toBe(201);
    expect((await t.call("POST", "/v1/policies", { yaml: ECHO_POLICIES.split("---\n")[1]! })).status).toBe(
      201,
    );
    const requests = [
      { manifests: manifestsYaml() },
      { resources: [secretObject(), deploymentWithEnv(), configMapObject()] },
      { manifests: [{ file: "k8s/app.yaml", text: manifestsYaml() }] },
    ];
    for (const body of requests) {
      const res = await t.request("POST", "/v1/evaluations", { body, token: t.tokens.evaluator });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      answers.push(text);
      ids.push(JSON.parse(text).id);
    }
    const review = await t.request("POST", "/v1/admission", {
      body: admissionReview("uid-secret"),
      token: t.tokens.evaluator,
    });
    const reviewText = await review.text();
    answers.push(reviewText);
    ids.push(JSON.parse(reviewText).response.auditAnnotations["celgate.dev/evaluation"]);
  });
  afterAll(() => t.close());

  it("answers reports whose echoed secrets are masked, the same as stored", async () => {
    for (const text of answers) expectNoSecret(text, "an answer");
    const first = JSON.parse(answers[0]!) as Json;
    const messages = first.results.flatMap((r: Json) => r.violations.map((v: Json) => v.message as string));
    expect(messages.some((m: string) => m.startsWith("data password=celgate:redacted:hmac-sha256:"))).toBe(
      true,
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^env DB_PASSWORD=celgate:redacted:.*LOG_LEVEL=debug/),
    );
    expect(messages).toContainEqual(expect.stringMatching(/^cm celgate:redacted:/));
    const stored = await t.call("GET", `/v1/evaluations/${ids[0]}`);
    expect(stored.body).toEqual(first);
    // The admission answer's warning echoes the password: masked too.
    const review = JSON.parse(answers[3]!) as Json;
    expect(review.response.warnings).toEqual([expect.stringMatching(/^echo-warn: pw=celgate:redacted:/)]);
  });

  it("keeps no secret value in the database, in any form", async () => {
    expectNoSecret(await tableText(t, "inputs"), "the inputs table");
    expectNoSecret(await tableText(t, "evaluations"), "the evaluations table");
    const inputs = await tableText(t, "inputs");
    expect(inputs).toMatch(MARKER);
    // Keys are kept, and equal values give equal markers: "this key changed" stays answerable.
    const rows = (await t.database.db.execute(sql`select kind, text, data from inputs`)) as unknown as {
      rows: { kind: string; text: string | null; data: Json }[];
    };
    const resources = rows.rows.find((r) => r.kind === "resources")!.data;
    expect(Object.keys(resources[0].data)).toEqual(["password"]);
    expect(resources[0].data.password).toMatch(MARKER);
    expect(rows.rows.find((r) => r.kind === "manifests")!.text).toContain(resources[0].data.password);
  });

  it("shows every role the same masked report, never a secret", async () => {
    for (const role of ALL_ROLES) {
      for (const id of ids) {
        const res = await t.request("GET", `/v1/evaluations/${id}`, { token: t.tokens[role] });
        expect(res.status).toBe(200);
        const text = await res.text();
        expectNoSecret(text, `GET /v1/evaluations/${id} as ${role}`);
        expect(text).toMatch(MARKER);
      }
      expectNoSecret(
        await (await t.request("GET", "/v1/evaluations", { token: t.tokens[role] })).text(),
        role,
      );
    }
  });

  it("gives the replay oracle only markers: the true value is indistinguishable", async () => {
    const truth = b64(SECRET_VALUES.password);
    const policy = (name: string, kind: string, expression: string) => ({
      apiVersion: "celgate.dev/v1",
      kind: "Policy",
      metadata: { name },
      spec: { match: { kinds: [kind] }, validations: [{ expression }] },
    });
    // Each pair: the right guess, and a wrong one of the same shape.
    const pairs = [
      [truth, b64("wrong-P4ssw0rd!!")].map((g) => `object.data.password != '${g}'`),
      [truth.slice(0, 4), "czNk"].map((g) => `!object.data.password.startsWith('${g}')`),
      [SECRET_VALUES.token, "tok-live-abcdef124"].map((g) => `object.stringData.token != '${g}'`),
    ];
    const envPair = [SECRET_VALUES.envPassword, "env-pass-9877"].map(
      (g) => `object.spec.template.spec.containers[0].env[0].value != '${g}'`,
    );
    const candidates = [
      ...pairs.flatMap(([right, wrong], i) => [
        policy(`right-${i}`, "Secret", right!),
        policy(`wrong-${i}`, "Secret", wrong!),
      ]),
      policy("right-env", "Deployment", envPair[0]!),
      policy("wrong-env", "Deployment", envPair[1]!),
    ];
    const res = await t.call("POST", "/v1/replays", {
      body: { policies: candidates, evaluations: ids },
      token: t.tokens.author,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectNoSecret(JSON.stringify(res.body), "the replay report");
    const after = new Map<string, string>(
      res.body.changes.map((c: Json) => [`${c.evaluation}|${c.resource.kind}|${c.policy}`, c.after]),
    );
    // 4 evaluations hold a Secret (6 candidates each), 3 a Deployment (2 each).
    expect(after.size).toBe(4 * 6 + 3 * 2);
    for (const [key, outcome] of after) {
      if (!key.includes("|right-")) continue;
      // Were the inputs raw, the right guess would fail where the wrong one passes.
      expect(outcome, key).toBe("pass");
      expect(after.get(key.replace("|right-", "|wrong-")), key).toBe(outcome);
    }
  });

  it("keys markers per installation: the same on every replica, not a plain hash of the value", async () => {
    const replica = new RedactionService(t.database.db);
    expect((await replica.key()).equals(await t.services.redaction.key())).toBe(true);
    const value = SECRET_VALUES.password;
    const ours = (await replica.pass()).marker(value);
    expect(ours).toBe((await t.services.redaction.pass()).marker(value));
    expect(ours).not.toContain(createHash("sha256").update(value).digest("hex").slice(0, 32));
    const configured = new RedactionService(t.database.db, { key: "k".repeat(32) });
    expect((await configured.pass()).marker(value)).not.toBe(ours);
  });

  it("redacts history recorded before redaction existed, once, and replays still run on it", async () => {
    // An evaluation as an older version stored it: raw manifests under the hash of the raw
    // text, a report echoing the secret, a plain request hash.
    const res = await t.call("POST", "/v1/evaluations", { body: { manifests: manifestsYaml() } });
    const id = res.body.id as string;
    const raw = manifestsYaml();
    const rawHash = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
    const echoed = JSON.stringify(res.body).replace(
      /pw=celgate:redacted:hmac-sha256:[0-9a-f]{32}/,
      `pw=${b64(SECRET_VALUES.password)}`,
    );
    expect(echoed).toContain(b64(SECRET_VALUES.password));
    const [before] = rowsOf(
      await t.database.db.execute(sql`select input_hash from evaluations where id = ${id}`),
    );
    await t.database.db.execute(sql`
      insert into inputs (hash, kind, text, created_at) values (${rawHash}, 'manifests', ${raw}, now() - interval '1 day')`);
    await t.database.db.execute(sql`
      update evaluations set input_hash = ${rawHash}, report = ${echoed}::jsonb, request_hash = 'plain' where id = ${id}`);
    expect(await tableText(t, "inputs")).toContain(SECRET_VALUES.token);

    expect(await t.services.redaction.redactHistory({ batch: 1 })).toBeGreaterThanOrEqual(1);
    expectNoSecret(await tableText(t, "inputs"), "the inputs table after redactHistory");
    expectNoSecret(await tableText(t, "evaluations"), "the evaluations table after redactHistory");
    const [after] = rowsOf(
      await t.database.db.execute(sql`select input_hash, request_hash from evaluations where id = ${id}`),
    );
    // Stored as a fresh recording stores it: the same row as the redacted evaluation's.
    expect(after).toEqual({ input_hash: before!.input_hash, request_hash: null });
    expect((await t.call("GET", `/v1/evaluations/${id}`)).body).toEqual(res.body);
    // Done: a second run finds nothing, and replays still run on the rewritten input.
    expect(await t.services.redaction.redactHistory()).toBe(0);
    const replay = await t.call("POST", "/v1/replays", {
      body: { evaluations: [id] },
      token: t.tokens.author,
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ evaluations: 1, changed: 0 });
  });

  it("writes an audit row for every replay: who, the candidates' digest, evaluations and changes", async () => {
    const before = (await t.call("GET", "/v1/audit?targetKind=replay")).body.items.length;
    const res = await t.call("POST", "/v1/replays", {
      body: { remove: ["echo-warn"], evaluations: [ids[0]] },
      token: t.tokens.author,
    });
    expect(res.status).toBe(200);
    const audit = await t.call("GET", "/v1/audit?targetKind=replay");
    expect(audit.body.items).toHaveLength(before + 1);
    expect(audit.body.items[0]).toMatchObject({
      actor: "test author",
      action: "replay.run",
      targetKind: "replay",
      targetName: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      detail: {
        outcome: "completed",
        evaluations: 1,
        changed: res.body.changed,
        removed: ["echo-warn"],
        candidateCount: 0,
        tokenId: expect.any(String),
      },
    });
    expect(audit.body.items[0].detail.changed).toBeGreaterThan(0);
    expectNoSecret(await tableText(t, "audit"), "the audit table");
  });
});
