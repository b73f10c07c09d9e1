import type { AdmissionReviewRequest, AdmissionReviewResponse } from "@celgate/contracts";
import { resourceRef } from "@celgate/core";
import type { Principal } from "../lib/context.js";
import type { EvaluationService } from "./evaluations.js";
import type { InventoryService } from "./inventory.js";

// Kubernetes rejects warnings longer than this and truncates long status messages.
const MAX_WARNING = 256;
const MAX_WARNINGS = 20;
const MAX_MESSAGE = 1024;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The AdmissionReview v1 webhook: evaluates the request's object against the policy set in
 * force, records it in history (source `admission`) and answers allowed/denied with a status
 * message, plus a warning per failing warn-action policy.
 */
export class AdmissionService {
  constructor(
    private readonly evaluations: EvaluationService,
    /** Keeps what was admitted (docs/operations.md, "Inventory"). */
    private readonly inventory?: InventoryService,
  ) {}

  async review(principal: Principal, review: AdmissionReviewRequest): Promise<AdmissionReviewResponse> {
    const req = review.request;
    const answer = (response: Omit<AdmissionReviewResponse["response"], "uid">): AdmissionReviewResponse => ({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: req.uid, ...response },
    });
    // Deletions and connects carry no object to validate.
    const object = req.object ?? null;
    if (this.inventory && req.operation === "DELETE" && !req.dryRun && req.name)
      await this.inventory.remove({
        cluster: this.inventory.admissionCluster,
        namespace: req.namespace ?? "",
        kind: req.kind.kind,
        name: req.name,
      });
    if (!object || req.operation === "DELETE" || req.operation === "CONNECT")
      return answer({ allowed: true });

    // The API server leaves metadata.namespace unset on some CREATEs; the request says where it goes.
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const resource =
      req.namespace && metadata.namespace === undefined
        ? { ...object, metadata: { ...metadata, namespace: req.namespace } }
        : object;
    const context: Record<string, unknown> = {
      admission: true,
      operation: req.operation,
      uid: req.uid,
      ...(req.namespace ? { namespace: req.namespace } : {}),
      ...(req.userInfo?.username ? { user: req.userInfo.username } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
    };
    // The request's attributes as policies see them (`request`); a re-evaluation sends them again.
    const attributes = {
      operation: req.operation,
      namespace: req.namespace ?? null,
      name: req.name ?? null,
      userInfo: req.userInfo ?? null,
      dryRun: req.dryRun ?? false,
      kind: req.kind,
    };
    const { report } = await this.evaluations.run(
      principal,
      { resources: [resource], context },
      {
        source: "admission",
        admission: {
          object: resource,
          oldObject: req.oldObject ?? null,
          request: { uid: req.uid, ...attributes },
        },
      },
    );
    if (this.inventory && report.decision !== "deny" && !req.dryRun) {
      // The request's uid names one call; the rest of the context is what re-evaluation sends again.
      const { uid: _uid, ...kept } = context;
      await this.inventory.record(
        this.inventory.admissionCluster,
        [{ object: resource, ref: resourceRef(resource) }],
        report,
        {
          source: "admission",
          evaluationId: report.id ?? null,
          context: kept,
          request: attributes,
        },
      );
    }
    const failed = report.results.filter((r) => r.outcome === "fail" || r.outcome === "error");
    const line = (r: (typeof failed)[number]) =>
      `${r.policy}: ${r.outcome === "error" ? `error: ${r.error}` : r.violations.map((v) => v.message).join("; ") || "failed"}`;
    const warnings = failed
      .filter((r) => r.action === "warn")
      .slice(0, MAX_WARNINGS)
      .map((r) => clip(line(r), MAX_WARNING));
    const auditAnnotations = report.id ? { "celgate.dev/evaluation": report.id } : undefined;
    if (report.decision === "deny") {
      const denials = failed.filter((r) => r.action === "deny").map(line);
      const kind = String(resource.kind ?? req.kind.kind);
      const name = String(
        (isRecord(resource.metadata) ? resource.metadata.name : undefined) ?? req.name ?? "",
      );
      return answer({
        allowed: false,
        status: {
          code: 403,
          reason: "Forbidden",
          message: clip(`celgate denied ${kind}/${name}: ${denials.join("; ")}`, MAX_MESSAGE),
        },
        ...(warnings.length ? { warnings } : {}),
        ...(auditAnnotations ? { auditAnnotations } : {}),
      });
    }
    return answer({
      allowed: true,
      ...(warnings.length ? { warnings } : {}),
      ...(auditAnnotations ? { auditAnnotations } : {}),
    });
  }
}
