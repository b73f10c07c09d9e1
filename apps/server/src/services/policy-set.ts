import {
  type CompiledPolicySet,
  compilePolicySet,
  type ExceptionDocument,
  type PolicyDocument,
  subsetOf,
} from "@celgate/core";
import { asc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { exceptions, policies, state } from "../db/schema.js";
import type { Logger } from "../lib/logger.js";

const GENERATION = "policy_generation";

/** Everything an evaluation needs, as of one policy generation. */
export interface PolicySnapshot {
  generation: number;
  set: CompiledPolicySet;
  /** `set` without the policies that read `bundle`: what admission evaluates (see admissionSetOf). */
  admissionSet: CompiledPolicySet;
  documents: PolicyDocument[];
  /** name -> stored version. */
  versions: Map<string, number>;
  /** `versions` as a JSON object, made once per load for every history row. */
  versionsJson: string;
  exceptions: ExceptionDocument[];
  loadedAt: number;
}

/**
 * The policies of `set` that judge one object on its own. At admission the bundle is the single
 * object under review, so a policy reading `bundle` (a Namespace needs its ResourceQuota, say)
 * would answer about an incomplete picture; those are left to CI. The subset is a set of its
 * own, with its own digest (core's `subsetOf`): the worker pool caches compiled sets by digest,
 * so a subset named by the full set's digest would be served to evaluations of the full set.
 */
export function admissionSetOf(set: CompiledPolicySet): CompiledPolicySet {
  return subsetOf(set, (p) => !p.reads.has("bundle"));
}

/** Bumps the shared change counter; call inside the transaction of every policy or exception change. */
export async function bumpGeneration(tx: Tx): Promise<void> {
  await tx
    .update(state)
    .set({ value: sql`${state.value} + 1` })
    .where(eq(state.key, GENERATION));
}

/**
 * The compiled policy set in force. Replicas share nothing but the database: before it is
 * used, the snapshot checks the `policy_generation` counter (at most every `pollMs`) and
 * reloads and recompiles when another replica (or this one) changed a policy or exception.
 */
export class PolicySetRuntime {
  #snapshot: PolicySnapshot | null = null;
  #checkedAt = 0;
  #inflight: Promise<PolicySnapshot> | null = null;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly pollMs: number,
    private readonly onLoad: (s: PolicySnapshot) => void = () => {},
  ) {}

  /** The last loaded snapshot, without touching the database (null before the first load). */
  get current(): PolicySnapshot | null {
    return this.#snapshot;
  }

  /** Forces a generation check on the next get() (after a change made by this instance). */
  invalidate(): void {
    this.#checkedAt = 0;
  }

  /**
   * The snapshot in force. Throws (a database error) only when none was ever loaded; while the
   * database is unreachable the last snapshot keeps serving.
   */
  async get(): Promise<PolicySnapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#checkedAt < this.pollMs) return this.#snapshot;
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #refresh(): Promise<PolicySnapshot> {
    try {
      const [row] = await this.db.select({ value: state.value }).from(state).where(eq(state.key, GENERATION));
      const generation = row?.value ?? 0;
      this.#checkedAt = Date.now();
      if (this.#snapshot && this.#snapshot.generation === generation) return this.#snapshot;
      return await this.#load(generation);
    } catch (err) {
      if (this.#snapshot) {
        this.logger.warn({ err }, "policy generation check failed; serving the last loaded policy set");
        return this.#snapshot;
      }
      throw err;
    }
  }

  async #load(generation: number): Promise<PolicySnapshot> {
    // Read the counter before the rows: a change landing in between bumps the counter past
    // `generation`, so the next check reloads again.
    const [policyRows, exceptionRows] = await Promise.all([
      this.db.select().from(policies).orderBy(asc(policies.name)),
      this.db.select().from(exceptions).orderBy(asc(exceptions.name)),
    ]);
    const documents = policyRows.map((r) => r.document as unknown as PolicyDocument);
    const started = performance.now();
    const { set, diagnostics } = compilePolicySet(documents);
    for (const d of diagnostics) {
      if (d.severity !== "warning")
        this.logger.error({ diagnostic: d }, "stored policy does not compile; left out");
    }
    const snapshot: PolicySnapshot = {
      generation,
      set,
      admissionSet: admissionSetOf(set),
      documents,
      versions: new Map(policyRows.map((r) => [r.name, r.version])),
      versionsJson: JSON.stringify(Object.fromEntries(policyRows.map((r) => [r.name, r.version]))),
      exceptions: exceptionRows.map((r) => r.document as unknown as ExceptionDocument),
      loadedAt: Date.now(),
    };
    this.logger.info(
      { generation, policies: set.policies.length, compileMs: Math.round(performance.now() - started) },
      "policy set loaded",
    );
    this.#snapshot = snapshot;
    this.onLoad(snapshot);
    return snapshot;
  }
}
