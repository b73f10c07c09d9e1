import type { KeyObject } from "node:crypto";
import { DEFAULT_INPUT_LIMITS, type InputLimits } from "@celgate/core";
import type { Database } from "../db/client.js";
import { createEvaluator, type Evaluator } from "../evaluator/index.js";
import type { Logger } from "../lib/logger.js";
import type { Metrics } from "../lib/metrics.js";
import { AdmissionService } from "./admission.js";
import { AuditService } from "./audit.js";
import { EvaluationService } from "./evaluations.js";
import { ExceptionService } from "./exceptions.js";
import { FindingService } from "./findings.js";
import { HistoryWriter, type HistoryWriterOptions } from "./history-writer.js";
import { ImageService } from "./images.js";
import { InventoryService } from "./inventory.js";
import { PolicyService } from "./policies.js";
import { PolicySetRuntime } from "./policy-set.js";
import { PolicyTestService } from "./policy-tests.js";
import { Readiness } from "./readiness.js";
import { ReceiptService } from "./receipts.js";
import { type RedactionConfig, RedactionService } from "./redaction.js";
import { type ReevaluationOptions, Reevaluator } from "./reevaluation.js";
import { type ReplayOptions, ReplayService } from "./replays.js";
import { SigningKeyService } from "./signing-keys.js";
import { TokenService } from "./tokens.js";
import { type WebhookDeliveryOptions, WebhookService } from "./webhooks.js";

/** Every domain verb of the service, wired to one database. */
export interface Services {
  database: Database;
  logger: Logger;
  metrics: Metrics;
  runtime: PolicySetRuntime;
  /** What /readyz reports, checked in the background once started (server.ts). */
  readiness: Readiness;
  tokens: TokenService;
  audit: AuditService;
  policies: PolicyService;
  /** The PolicyTest documents of the policy repository: listed and run per policy. */
  policyTests: PolicyTestService;
  exceptions: ExceptionService;
  images: ImageService;
  evaluations: EvaluationService;
  admission: AdmissionService;
  replays: ReplayService;
  redaction: RedactionService;
  /** Signed decision receipts and their keys (docs/receipts.md). */
  receipts: ReceiptService;
  evaluator: Evaluator;
  /** What is deployed (admission reviews, evaluations with context.cluster and context.deployed). */
  inventory: InventoryService;
  findings: FindingService;
  /** Re-evaluates the inventory when scans, policies or exceptions change; start() runs it. */
  reevaluation: Reevaluator;
  /** Outgoing webhooks; start() delivers in the background. */
  webhooks: WebhookService;
  /** Shape limits on every input: request bodies, manifests, resources. */
  limits: InputLimits;
}

export function createServices(deps: {
  database: Database;
  logger: Logger;
  metrics: Metrics;
  policyPollMs: number;
  /** Serve an empty policy set (allow everything) instead of refusing; default false. */
  allowEmptyPolicySet?: boolean;
  /** Default: in process, with a 10 s bound per evaluation. */
  evaluator?: Evaluator;
  /** Default: DEFAULT_INPUT_LIMITS. */
  limits?: InputLimits;
  /** Operator paths and key of the redaction (docs/security.md, "Redaction"). */
  redaction?: RedactionConfig;
  /** Replay time limit; default 30 s. */
  replays?: Partial<ReplayOptions>;
  /** The receipt signing key (CELGATE_SIGNING_KEY); default: the database's generated key. */
  signing?: { key?: KeyObject | undefined; handoverMs?: number | undefined };
  /** The cluster name admission reviews are kept under in the inventory; default `default`. */
  cluster?: string;
  /** Background re-evaluation (batch size, share of the evaluator workers, poll interval). */
  reevaluation?: Partial<ReevaluationOptions>;
  /** Webhook delivery (timeouts, retries, backoff, the addresses receivers may have). */
  webhooks?: Partial<WebhookDeliveryOptions>;
  /** The bound on history rows pending commit; default services/history-writer.ts's. */
  history?: Pick<HistoryWriterOptions, "maxPendingRows" | "maxPendingBytes">;
}): Services {
  const limits = deps.limits ?? DEFAULT_INPUT_LIMITS;
  const evaluator = deps.evaluator ?? createEvaluator({ threads: 0, timeoutMs: 10_000 });
  const { database, logger, metrics } = deps;
  const db = database.db;
  const runtime = new PolicySetRuntime(
    db,
    logger,
    deps.policyPollMs,
    (s) => {
      metrics.set("celgate_policies", "Policies in the compiled set in force", s.set.policies.length);
      metrics.set("celgate_policy_generation", "Policy generation in force on this instance", s.generation);
    },
    { allowEmpty: deps.allowEmptyPolicySet ?? false },
  );
  // image facts are cached by the counter the policy set checks, within the same interval
  const images = new ImageService(db, {
    generations: runtime.generations,
    maxAgeMs: deps.policyPollMs,
    broken: () => database.broken(),
  });
  const redaction = new RedactionService(db, { ...deps.redaction, limits });
  const receipts = new ReceiptService(
    db,
    new SigningKeyService(db, deps.signing?.key, deps.signing?.handoverMs),
  );
  const webhooks = new WebhookService(db, logger, metrics, deps.webhooks);
  const findings = new FindingService(db, webhooks, metrics);
  const inventory = new InventoryService(db, redaction, findings, logger, metrics, deps.cluster ?? "default");
  const evaluations = new EvaluationService(
    db,
    runtime,
    images,
    metrics,
    evaluator,
    redaction,
    receipts,
    limits,
    inventory,
    // PGlite has one connection: one statement at a time; PostgreSQL: two, so that one batch
    // is being written while the next gathers
    new HistoryWriter(
      db,
      {
        maxBatch: 64,
        maxInflight: database.kind === "pglite" ? 1 : 2,
        prepared: database.kind !== "pglite",
        ...deps.history,
      },
      metrics,
    ),
  );
  const policies = new PolicyService(db, runtime);
  return {
    database,
    logger,
    metrics,
    runtime,
    readiness: new Readiness(database, runtime),
    tokens: new TokenService(db, { session: () => database.session(), logger }),
    audit: new AuditService(db),
    policies,
    policyTests: new PolicyTestService(db, policies, evaluator),
    exceptions: new ExceptionService(db, runtime),
    images,
    evaluations,
    admission: new AdmissionService(evaluations, inventory),
    replays: new ReplayService(db, runtime, evaluations, evaluator, deps.replays),
    redaction,
    receipts,
    evaluator,
    inventory,
    findings,
    reevaluation: new Reevaluator(
      db,
      runtime,
      images,
      evaluator,
      findings,
      logger,
      metrics,
      deps.reevaluation,
    ),
    webhooks,
    limits,
  };
}
