import type { AuditEntry } from "@celgate/contracts";
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { audit } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { redactedUrl } from "./webhook-targets.js";

export type TargetKind = AuditEntry["targetKind"];

export interface AuditInput {
  actor: string;
  action: string;
  targetKind: TargetKind;
  targetName: string;
  detail?: Record<string, unknown>;
}

/** Writes one audit row; pass the transaction of the change it records. */
export async function writeAudit(tx: Tx | Db, entry: AuditInput): Promise<void> {
  await tx.insert(audit).values({ ...entry, detail: entry.detail ?? null });
}

export interface AuditQuery {
  targetKind?: TargetKind | undefined;
  targetName?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Reads the audit log, newest first. */
export class AuditService {
  constructor(private readonly db: Db) {}

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const where: SQL[] = [];
    if (q.targetKind) where.push(eq(audit.targetKind, q.targetKind));
    if (q.targetName) where.push(eq(audit.targetName, q.targetName));
    if (q.actor) where.push(eq(audit.actor, q.actor));
    if (q.since) where.push(gte(audit.at, new Date(q.since)));
    if (q.until) where.push(lte(audit.at, new Date(q.until)));
    if (q.cursor) where.push(lt(audit.id, decodeCursor(q.cursor, CURSORS.audit).id));
    const rows = await this.db
      .select()
      .from(audit)
      .where(and(...where))
      .orderBy(desc(audit.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: String(r.id),
        at: r.at.toISOString(),
        actor: r.actor,
        action: r.action,
        targetKind: r.targetKind,
        targetName: r.targetName,
        detail: r.targetKind === "webhook" ? webhookDetail(r.detail) : (r.detail ?? null),
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ id: last.id }) : null,
    };
  }
}

/**
 * A webhook's audit detail as read: its URL redacted. Rows written since the URL is audited
 * redacted hold it so already (redacting again changes nothing); older ones hold it whole.
 */
function webhookDetail(detail: Record<string, unknown> | null): Record<string, unknown> | null {
  if (detail === null || typeof detail.url !== "string") return detail;
  return { ...detail, url: redactedUrl(detail.url) };
}
