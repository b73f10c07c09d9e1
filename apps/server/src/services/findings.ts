import {
  type Finding,
  type FindingCause,
  type FindingListQuery,
  severitiesAtOrAbove,
} from "@celgate/contracts";
import { and, desc, eq, inArray, lt, notInArray, type SQL, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { findings } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { newId } from "../lib/ids.js";
import type { Metrics } from "../lib/metrics.js";
import type { InventoryKey } from "./inventory.js";
import type { WebhookService } from "./webhooks.js";

type Row = typeof findings.$inferSelect;

/** What a re-evaluation says about one newly failing (object, policy). */
export interface FailingPolicy {
  policy: string;
  policyVersion: number | null;
  severity: Finding["severity"];
  action: Finding["action"];
  message: string;
}

const MAX_MESSAGE = 2048;
const GAUGE = "celgate_findings_open";
const GAUGE_HELP = "Open findings by policy and severity";

export function toFinding(r: Row): Finding {
  return {
    id: r.id,
    status: r.status as Finding["status"],
    resource: {
      cluster: r.cluster,
      namespace: r.namespace === "" ? null : r.namespace,
      kind: r.kind,
      name: r.name,
    },
    policy: r.policy,
    policyVersion: r.policyVersion,
    severity: r.severity as Finding["severity"],
    action: r.action as Finding["action"],
    message: r.message,
    cause: r.cause as FindingCause,
    trigger: r.trigger,
    openedAt: r.openedAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    resolution: (r.resolution as Finding["resolution"]) ?? null,
  };
}

/**
 * Findings: opened when a re-evaluation turns an object that passed a policy into one that
 * fails it, resolved when it passes again (or is no longer deployed). At most one finding per
 * (object, policy) is open at a time: a partial unique index guards it, so replicas that race
 * open it once. Every transition queues the webhooks subscribed to it in the same transaction.
 */
export class FindingService {
  /** Label sets of the gauge set last time, so that vanished ones go back to 0. */
  #gaugeKeys = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly webhooks: WebhookService,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Opens a finding per newly failing policy of each object, in one statement; returns those
   * opened (one already open for the object and policy is left as it is).
   */
  async open(
    tx: Tx,
    items: readonly { key: InventoryKey; failing: readonly FailingPolicy[] }[],
    cause: { cause: FindingCause; trigger: Record<string, unknown>; changeId: number | null },
  ): Promise<Finding[]> {
    const values = items.flatMap(({ key, failing }) =>
      failing.map((f) => ({
        id: newId("fd"),
        ...key,
        policy: f.policy,
        policyVersion: f.policyVersion,
        severity: f.severity,
        action: f.action,
        message: f.message.length > MAX_MESSAGE ? `${f.message.slice(0, MAX_MESSAGE - 1)}…` : f.message,
        cause: cause.cause,
        trigger: cause.trigger,
        changeId: cause.changeId,
        status: "open",
      })),
    );
    if (values.length === 0) return [];
    const rows = await tx.insert(findings).values(values).onConflictDoNothing().returning();
    const out = rows.sort((a, b) => a.seq - b.seq).map(toFinding);
    await this.webhooks.enqueue(tx, "finding.opened", out);
    return out;
  }

  /** Resolves the open findings of `key` whose policy is not in `failing`; returns them. */
  async resolveExcept(
    tx: Tx,
    key: InventoryKey,
    failing: readonly string[],
    resolution: "passed" | "deleted",
  ): Promise<Finding[]> {
    const rows = await tx
      .update(findings)
      .set({ status: "resolved", resolvedAt: new Date(), resolution })
      .where(
        and(
          eq(findings.cluster, key.cluster),
          eq(findings.namespace, key.namespace),
          eq(findings.kind, key.kind),
          eq(findings.name, key.name),
          eq(findings.status, "open"),
          failing.length > 0 ? notInArray(findings.policy, [...failing]) : undefined,
        ),
      )
      .returning();
    const out = rows.map(toFinding);
    await this.webhooks.enqueue(tx, "finding.resolved", out);
    return out;
  }

  /**
   * For many objects of one cluster at once: resolves every open finding whose policy is not
   * in its object's `failing` list. One query finds them; returns those resolved.
   */
  async resolveMany(
    tx: Tx,
    cluster: string,
    entries: readonly { key: InventoryKey; failing: readonly string[] }[],
    resolution: "passed" | "deleted",
  ): Promise<Finding[]> {
    if (entries.length === 0) return [];
    const wanted = entries.map((e) => [e.key.namespace, e.key.kind, e.key.name, e.failing]);
    const rows = await tx
      .update(findings)
      .set({ status: "resolved", resolvedAt: new Date(), resolution })
      .where(
        and(
          eq(findings.status, "open"),
          eq(findings.cluster, cluster),
          sql`exists (select 1 from jsonb_array_elements(${JSON.stringify(wanted)}::jsonb) w
            where w->>0 = ${findings.namespace} and w->>1 = ${findings.kind} and w->>2 = ${findings.name}
              and not (w->3 ? ${findings.policy}))`,
        ),
      )
      .returning();
    const out = rows.map(toFinding);
    await this.webhooks.enqueue(tx, "finding.resolved", out);
    return out;
  }

  /** Findings, newest first; open ones unless `status` says otherwise. */
  async list(
    q: FindingListQuery & { limit: number; cursor?: string | undefined },
  ): Promise<{ items: Finding[]; nextCursor: string | null }> {
    const where: (SQL | undefined)[] = [];
    if (q.status !== "all") where.push(eq(findings.status, q.status));
    if (q.cluster) where.push(eq(findings.cluster, q.cluster));
    if (q.namespace) where.push(eq(findings.namespace, q.namespace));
    if (q.kind) where.push(eq(findings.kind, q.kind));
    if (q.name) where.push(eq(findings.name, q.name));
    if (q.policy) where.push(eq(findings.policy, q.policy));
    if (q.cause) where.push(eq(findings.cause, q.cause));
    if (q.severity) where.push(inArray(findings.severity, severitiesAtOrAbove(q.severity)));
    if (q.cursor) where.push(lt(findings.seq, decodeCursor(q.cursor, CURSORS.findings).finding));
    const rows = await this.db
      .select()
      .from(findings)
      .where(and(...where))
      .orderBy(desc(findings.seq))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(toFinding),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ finding: last.seq }) : null,
    };
  }

  /**
   * Sets `celgate_findings_open{policy,severity}` from the database, so every replica reports
   * the same numbers; label sets with no open finding left go back to 0.
   */
  async refreshGauges(): Promise<void> {
    const rows = await this.db
      .select({ policy: findings.policy, severity: findings.severity, n: sql<number>`count(*)::int` })
      .from(findings)
      .where(eq(findings.status, "open"))
      .groupBy(findings.policy, findings.severity);
    const seen = new Set<string>();
    for (const r of rows) {
      const k = JSON.stringify([r.policy, r.severity]);
      seen.add(k);
      this.metrics.set(GAUGE, GAUGE_HELP, Number(r.n), { policy: r.policy, severity: r.severity });
    }
    for (const k of this.#gaugeKeys)
      if (!seen.has(k)) {
        const [policy, severity] = JSON.parse(k) as [string, string];
        this.metrics.set(GAUGE, GAUGE_HELP, 0, { policy, severity });
      }
    this.#gaugeKeys = seen;
  }
}
