import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "../lib/metrics.js";
import {
  admissionReview,
  BACKENDS,
  capturingLogger,
  deploymentObject,
  emptyRepository,
  setupApp,
  type TestApp,
} from "../test/harness.js";
import { rowsOf } from "./changes.js";
import { Reevaluator } from "./reevaluation.js";

// the token of a Slack-style incoming webhook, in an annotation the redaction does not cover
const SECRET = "XoXb7Secret0Token0In0Annotation";
const NOTIFY = `https://hooks.slack.com/services/T0001/B0002/${SECRET}`;

/** Fails every Deployment that names a notification URL, echoing the URL in its message. */
const ECHOING_POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: no-notify-annotation
spec:
  severity: low
  action: warn
  match:
    kinds: [Deployment]
  validations:
    - expression: "!has(object.metadata.annotations) || !('example.com/notify' in object.metadata.annotations)"
      messageExpression: "'notifies ' + object.metadata.annotations['example.com/notify']"
`;

describe.each(BACKENDS)("a failed re-evaluation on %s", (backend) => {
  let t: TestApp;
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    t = await setupApp(backend, {
      ...emptyRepository("reevaluation-errors"),
    });
  });
  afterAll(() => t.close());

  it("stores and logs the failed statement without its parameters", async () => {
    const object = deploymentObject("web", { owner: "x" });
    const annotated = {
      ...object,
      metadata: { ...object.metadata, annotations: { "example.com/notify": NOTIFY } },
    };
    const admitted = await t.call("POST", "/v1/admission", { body: admissionReview("u1", annotated) });
    expect(admitted.body.response.allowed).toBe(true);
    await t.services.reevaluation.drain(); // nothing queued yet but what setup left
    // every new finding is refused, after the policy below has made one with the URL in its message
    await t.database.db.execute(
      sql.raw("alter table findings add constraint refuse_findings check (false) not valid"),
    );
    expect((await t.call("POST", "/v1/policies", { yaml: ECHOING_POLICY })).status).toBe(201);

    const reevaluator = new Reevaluator(
      t.database.db,
      t.services.runtime,
      t.services.images,
      t.services.evaluator,
      t.services.findings,
      logger,
      new Metrics(),
      { maxAttempts: 1, retryMs: 0 },
    );
    await reevaluator.drain();
    const [change] = rowsOf(
      await t.database.db.execute(
        sql`select error, done_at from reevaluation_changes where cause = 'policy-change' and subject = 'no-notify-annotation'`,
      ),
    );
    expect(change?.done_at).not.toBeNull(); // closed with its error after its one attempt
    const error = String(change?.error);
    expect(error).toContain("insert into");
    expect(error).toContain("23514");
    expect(error).not.toContain(SECRET);
    const logged = lines.join("");
    expect(logged).toContain("re-evaluation of a change failed for good");
    expect(logged).not.toContain(SECRET);
    // and nothing the API answers holds it
    for (const path of ["/v1/findings?status=open", "/v1/findings?status=resolved", "/v1/audit"]) {
      const res = await t.call("GET", path);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
  });
});
