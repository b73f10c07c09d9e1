import { createHmac, randomBytes } from "node:crypto";
import {
  type CreatedWebhook,
  type CreateWebhookRequest,
  type Finding,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type Webhook,
  type WebhookEvent,
  type WebhookPayload,
} from "@celgate/contracts";
import { asc, eq, gt, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { webhookDeliveries, webhooks } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { isUnavailable, problems } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import type { Metrics } from "../lib/metrics.js";
import { withoutSecrets } from "../lib/secret-errors.js";
import { writeAudit } from "./audit.js";
import { rowsOf } from "./changes.js";
import { refuse } from "./errors.js";
import { postDelivery, redactedUrl, refusedUrl, type WebhookTargets, withoutUrl } from "./webhook-targets.js";

export interface WebhookDeliveryOptions {
  /** How often an instance looks for deliveries that are due; default 1000 ms. */
  pollMs: number;
  /** One attempt's time limit; default 5000 ms. */
  timeoutMs: number;
  /** Attempts before a delivery is given up (and audited as failed); default 8. */
  maxAttempts: number;
  /** First retry delay; it doubles per attempt (with jitter), up to maxBackoffMs. Default 2000 ms. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Deliveries in flight at once per instance; default 8. */
  concurrency: number;
  /** Which addresses receivers may have (CELGATE_WEBHOOK_TARGETS); default `public`. */
  targets: WebhookTargets;
}

export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliveryOptions = {
  pollMs: 1000,
  timeoutMs: 5000,
  maxAttempts: 8,
  backoffMs: 2000,
  maxBackoffMs: 10 * 60_000,
  concurrency: 8,
  targets: "public",
};

/**
 * The signature of a delivery: `sha256=` and the hex HMAC-SHA256, keyed with the webhook's
 * secret, of `<timestamp>.<body>` (the timestamp is the `x-celgate-timestamp` header). A
 * receiver recomputes it over the raw body and compares in constant time.
 */
export function signDelivery(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The delay before attempt `attempts + 1`: doubling from `backoffMs`, capped, with full jitter over the upper half. */
export function backoffDelay(
  attempts: number,
  o: Pick<WebhookDeliveryOptions, "backoffMs" | "maxBackoffMs">,
) {
  const ceiling = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** A stored webhook as listed: its URL redacted (redactedUrl), its secret left out. */
function toWire(r: typeof webhooks.$inferSelect): Webhook {
  return {
    id: r.id,
    url: redactedUrl(r.url),
    events: r.events as WebhookEvent[],
    description: r.description,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
  };
}

/**
 * Outgoing webhooks: configured by an admin, queued in the transaction of the finding they
 * report, and delivered in the background by whichever instance claims them first (`FOR
 * UPDATE SKIP LOCKED`), with retries and backoff. Sending never holds an evaluation: nothing
 * on a request's path waits for a receiver. Every final outcome (delivered, or given up) is
 * written to the audit log. A URL may carry a token (incoming webhooks keep theirs in the
 * path): it is used whole only to deliver, and shown redacted everywhere after its creation.
 */
export class WebhookService {
  readonly #options: WebhookDeliveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #inflight = new Set<Promise<void>>();
  #ticking: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    options: Partial<WebhookDeliveryOptions> = {},
  ) {
    this.#options = { ...DEFAULT_WEBHOOK_DELIVERY, ...options };
  }

  /**
   * Adds a webhook; returns it with its secret and its URL as given (the only time either is
   * shown: the audit row has the URL redacted). Refuses
   * (invalid-input) a URL the targets policy rules out without resolving it: credentials in
   * it, an IP literal or `localhost` that is not allowed (docs/security.md).
   */
  async create(actor: string, req: CreateWebhookRequest): Promise<CreatedWebhook> {
    const refused = refusedUrl(req.url, this.#options.targets);
    if (refused !== null) throw refuse("invalid-input", `webhook url: ${refused}`);
    const secret = req.secret ?? randomBytes(32).toString("base64url");
    const row = await this.db
      .transaction(async (tx) => {
        const [inserted] = await tx
          .insert(webhooks)
          .values({
            id: newId("wh"),
            url: req.url,
            events: [...new Set(req.events)],
            secret,
            description: req.description ?? null,
            createdBy: actor,
          })
          .returning();
        await writeAudit(tx, {
          actor,
          action: "webhook.create",
          targetKind: "webhook",
          targetName: inserted!.id,
          detail: { url: redactedUrl(req.url), events: req.events },
        });
        return inserted!;
      })
      .catch((err: unknown) => {
        throw withoutSecrets(err); // the insert's parameters hold the secret
      });
    return { ...toWire(row), url: row.url, secret };
  }

  async list(q: { limit: number; cursor?: string | undefined }) {
    const after = q.cursor ? decodeCursor(q.cursor, CURSORS.webhooks).webhook : undefined;
    const rows = await this.db
      .select()
      .from(webhooks)
      .where(after ? gt(webhooks.id, after) : undefined)
      .orderBy(asc(webhooks.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(toWire),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ webhook: last.id }) : null,
    };
  }

  /** Deletes a webhook and its undelivered deliveries. */
  async remove(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const deleted = await tx.delete(webhooks).where(eq(webhooks.id, id)).returning();
      if (deleted.length === 0) throw problems.notFound(`no webhook with id ${id}`);
      await writeAudit(tx, {
        actor,
        action: "webhook.delete",
        targetKind: "webhook",
        targetName: id,
        detail: { url: redactedUrl(deleted[0]!.url) },
      });
    });
  }

  /** Queues `event` of each finding for every webhook subscribed to it; call in the findings' transaction. */
  async enqueue(tx: Tx, event: WebhookEvent, list: readonly Finding[]): Promise<void> {
    if (list.length === 0) return;
    await tx.execute(sql`
      insert into ${webhookDeliveries} (webhook_id, event, payload, status)
      select w.id, ${event}, jsonb_build_object('finding', f.value), 'pending'
      from ${webhooks} w
      cross join jsonb_array_elements(${JSON.stringify(list)}::jsonb) with ordinality as f(value, n)
      where w.events @> ${JSON.stringify([event])}::jsonb
      order by f.n, w.id`);
  }

  /** Starts delivering in the background. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const schedule = () => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#ticking = this.deliverDue()
          .then(() => {})
          .catch((err: unknown) => {
            if (isUnavailable(err)) this.logger.debug({ err }, "webhooks: database unreachable");
            else this.logger.warn({ err }, "webhooks: delivery round failed; retrying");
          })
          .finally(() => {
            this.#ticking = undefined;
            schedule();
          });
      }, this.#options.pollMs);
      this.#timer.unref();
    };
    schedule();
  }

  /** Stops the timer and waits for the attempts in flight (each bounded by timeoutMs). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.allSettled([...this.#inflight]);
  }

  /**
   * Claims the deliveries that are due (up to the free concurrency) and starts sending them;
   * returns how many were started. Sending goes on in the background. The events of one finding
   * go to one webhook in the order they were queued: an event is claimed only once every earlier
   * event of its finding to that webhook is delivered or given up, so `finding.resolved` never
   * overtakes a `finding.opened` that is being retried. Other findings are not held.
   */
  async deliverDue(): Promise<number> {
    const free = this.#options.concurrency - this.#inflight.size;
    if (free <= 0) return 0;
    const lease = this.#options.timeoutMs + 10_000;
    const claimed = rowsOf(
      await this.db.execute(sql`
        update ${webhookDeliveries} d
        set claimed_until = now() + ${lease} * interval '1 millisecond', attempts = d.attempts + 1
        from ${webhooks} w
        where w.id = d.webhook_id and d.id in (
          select id from ${webhookDeliveries}
          where id in (
            -- the oldest pending event of each finding for each webhook: a later one (resolved
            -- after opened) waits until it is delivered or given up, retries included
            select distinct on (webhook_id, payload->'finding'->>'id') id
            from ${webhookDeliveries}
            where status = 'pending'
            order by webhook_id, payload->'finding'->>'id', id
          )
            and next_attempt_at <= now()
            and (claimed_until is null or claimed_until < now())
          order by id
          limit ${free}
          for update skip locked
        )
        returning d.id, d.event, d.payload, d.attempts, d.webhook_id, w.url, w.secret`),
    );
    for (const r of claimed) {
      const p = this.#attempt({
        id: Number(r.id),
        event: r.event as WebhookEvent,
        finding: (r.payload as { finding: Finding }).finding,
        attempts: Number(r.attempts),
        webhookId: r.webhook_id as string,
        url: r.url as string,
        secret: r.secret as string,
      }).catch((err: unknown) => this.logger.warn({ err }, "webhooks: recording a delivery failed"));
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
    }
    return claimed.length;
  }

  /** Waits until no attempt is in flight (tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
  }

  async #attempt(d: {
    id: number;
    event: WebhookEvent;
    finding: Finding;
    attempts: number;
    webhookId: string;
    url: string;
    secret: string;
  }): Promise<void> {
    const payload: WebhookPayload = {
      id: `whd_${d.id}`,
      event: d.event,
      sentAt: new Date().toISOString(),
      finding: d.finding,
    };
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postDelivery(
        d.url,
        {
          "content-type": "application/json",
          "user-agent": "celgate-webhook",
          "x-celgate-event": d.event,
          "x-celgate-delivery": payload.id,
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: signDelivery(d.secret, timestamp, body),
        },
        body,
        { timeoutMs: this.#options.timeoutMs, targets: this.#options.targets },
      );
      if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
    } catch (err) {
      // a refused address, a timeout or the socket's error (ECONNREFUSED and the address, say);
      // stored, audited and logged, so without the URL's path and query should it quote them
      error = withoutUrl(err instanceof Error ? err.message : String(err), d.url);
    }
    const outcome =
      error === null ? "delivered" : d.attempts >= this.#options.maxAttempts ? "failed" : "retry";
    this.metrics.inc("celgate_webhook_attempts_total", "Webhook delivery attempts by outcome", { outcome });
    await this.db.transaction(async (tx) => {
      if (outcome === "retry") {
        await tx
          .update(webhookDeliveries)
          .set({
            lastStatus: status,
            lastError: error,
            claimedUntil: null,
            nextAttemptAt: new Date(Date.now() + backoffDelay(d.attempts, this.#options)),
          })
          .where(eq(webhookDeliveries.id, d.id));
        return;
      }
      await tx
        .update(webhookDeliveries)
        .set({
          status: outcome,
          lastStatus: status,
          lastError: error,
          claimedUntil: null,
          ...(outcome === "delivered" ? { deliveredAt: new Date() } : {}),
        })
        .where(eq(webhookDeliveries.id, d.id));
      await writeAudit(tx, {
        actor: "celgate",
        action: outcome === "delivered" ? "webhook.deliver" : "webhook.fail",
        targetKind: "webhook",
        targetName: d.webhookId,
        detail: {
          delivery: payload.id,
          event: d.event,
          finding: d.finding.id,
          attempts: d.attempts,
          status,
          ...(error ? { error } : {}),
        },
      });
    });
    if (outcome === "failed")
      this.logger.warn({ webhook: d.webhookId, delivery: payload.id, error }, "webhook delivery given up");
  }
}
