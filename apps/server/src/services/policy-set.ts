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
import { DomainError } from "./errors.js";
import { GENERATION_KEYS, Generations } from "./generations.js";

const GENERATION = GENERATION_KEYS.policies;

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
 * Thrown when the service has no policy set it may decide with: the stored policies do not all
 * compile, the set is empty without the operator having asked for that, or the database lost
 * its state. Evaluations answer 503 (admission: the webhook's failurePolicy applies) and
 * readiness fails, rather than deciding with fewer policies than are in force.
 */
export class PolicySetUnavailableError extends DomainError {
  override name = "PolicySetUnavailableError";
  constructor(reason: string) {
    super("policy-set-unavailable", reason);
  }
}

/**
 * The compiled policy set in force. Replicas share nothing but the database: before it is
 * used, the snapshot checks the `policy_generation` counter (at most every `pollMs`) and
 * reloads and recompiles when another replica (or this one) changed a policy or exception.
 *
 * Fail closed: a generation whose policies do not all compile, or that holds no policy (unless
 * `allowEmpty`), is not served, and neither is a database that lost its generation counter.
 * While the database is merely unreachable, the last snapshot loaded keeps serving.
 */
export class PolicySetRuntime {
  #snapshot: PolicySnapshot | null = null;
  /** Set while the newest generation cannot be served; cleared by a good load. */
  #failure: { generation: number | null; reason: string } | null = null;
  #checkedAt = 0;
  /** Bumped by invalidate(): a check begun under an older value may predate a change made here. */
  #epoch = 0;
  #inflight: { epoch: number; snapshot: Promise<PolicySnapshot> } | null = null;
  /** Loads are numbered as they begin; one that finishes after a later one installs nothing. */
  #loadsBegun = 0;
  #installed = 0;
  /** The shared counters; the image-facts cache checks the same readings (services/images.ts). */
  readonly generations: Generations;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    readonly pollMs: number,
    private readonly onLoad: (s: PolicySnapshot) => void = () => {},
    private readonly options: { allowEmpty?: boolean; generations?: Generations } = {},
  ) {
    this.generations = options.generations ?? new Generations(db);
  }

  /** The last snapshot that may be served, without touching the database (null before one). */
  get current(): PolicySnapshot | null {
    return this.#failure ? null : this.#snapshot;
  }

  /** Why no policy set can be served right now, or null (as of the last check). */
  get failure(): string | null {
    return this.#failure?.reason ?? null;
  }

  /** Forces a generation check on the next get() (after a change made by this instance). */
  invalidate(): void {
    this.#checkedAt = 0;
    this.#epoch++;
    this.generations.invalidate();
  }

  /**
   * The snapshot in force. Throws PolicySetUnavailableError when the newest generation cannot
   * be served, and a database error when none was ever loaded; while the database is
   * unreachable the last snapshot keeps serving.
   */
  async get(): Promise<PolicySnapshot> {
    const now = Date.now();
    if (now - this.#checkedAt < this.pollMs) {
      if (this.#failure) throw new PolicySetUnavailableError(this.#failure.reason);
      if (this.#snapshot) return this.#snapshot;
    }
    // A check already under way is shared only if it began after the last change made here:
    // one that read the counter before that change would answer with what the change replaced
    // (read-your-writes: an exception created, then an evaluation, must see the exception).
    if (this.#inflight && this.#inflight.epoch === this.#epoch) return this.#inflight.snapshot;
    const epoch = this.#epoch;
    const snapshot = this.#refresh(epoch).finally(() => {
      if (this.#inflight?.snapshot === snapshot) this.#inflight = null;
    });
    this.#inflight = { epoch, snapshot };
    return snapshot;
  }

  /** Marks the state as checked now, unless a change made here came after the check began. */
  #checked(epoch: number): void {
    if (epoch === this.#epoch) this.#checkedAt = Date.now();
  }

  async #refresh(epoch: number): Promise<PolicySnapshot> {
    let generation: number;
    try {
      // always a new reading: this runs when the last check is older than pollMs, or invalidate() asked
      const reading = await this.generations.read(0);
      if (reading.policies === null)
        return this.#fail(
          epoch,
          ++this.#loadsBegun,
          null,
          "the database has lost its state (the policy generation counter is missing)",
        );
      generation = reading.policies;
    } catch (err) {
      if (err instanceof PolicySetUnavailableError) throw err;
      if (this.#snapshot && !this.#failure) {
        this.logger.warn({ err }, "policy generation check failed; serving the last loaded policy set");
        return this.#snapshot;
      }
      throw err;
    }
    // The state counts as checked only once the snapshot in force matches the reading: marked
    // before a load finished, callers in between would be answered with the set it replaces.
    if (this.#failure && this.#failure.generation === generation) {
      this.#checked(epoch);
      throw new PolicySetUnavailableError(this.#failure.reason);
    }
    if (!this.#failure && this.#snapshot && this.#snapshot.generation === generation) {
      this.#checked(epoch);
      return this.#snapshot;
    }
    return await this.#load(epoch);
  }

  #fail(epoch: number, load: number, generation: number | null, reason: string): never {
    if (load >= this.#installed) {
      if (this.#failure?.reason !== reason)
        this.logger.error({ generation, reason }, "no policy set can be served; refusing evaluations");
      this.#failure = { generation, reason };
      this.#installed = load;
      this.#checked(epoch);
    }
    throw new PolicySetUnavailableError(reason);
  }

  async #load(epoch: number): Promise<PolicySnapshot> {
    const load = ++this.#loadsBegun;
    // The counter, the policies and the exceptions of one moment: one read-only transaction
    // at REPEATABLE READ sees one snapshot of the database. Read apart (as two statements on
    // two connections once were), a set could hold the policies from before one change and
    // the exceptions from after a later one: a state that never was.
    const read = await this.db.transaction(
      async (tx) => {
        const [counter] = await tx
          .select({ value: state.value })
          .from(state)
          .where(eq(state.key, GENERATION));
        const policyRows = await tx.select().from(policies).orderBy(asc(policies.name));
        const exceptionRows = await tx.select().from(exceptions).orderBy(asc(exceptions.name));
        return { counter: counter?.value, policyRows, exceptionRows };
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
    if (typeof read.counter !== "number")
      return this.#fail(
        epoch,
        load,
        null,
        "the database has lost its state (the policy generation counter is missing)",
      );
    // the generation these rows are of: the one the check read, or a later one
    const generation = read.counter;
    const { policyRows, exceptionRows } = read;
    const documents = policyRows.map((r) => r.document);
    const started = performance.now();
    const { set, diagnostics } = compilePolicySet(documents);
    const broken = diagnostics.filter((d) => d.severity !== "warning");
    for (const d of broken) this.logger.error({ diagnostic: d }, "stored policy does not compile");
    if (broken.length > 0 || set.policies.length !== documents.length) {
      const names = documents.map((d) => d.metadata.name).filter((n) => !set.byName.has(n));
      const first = broken[0];
      return this.#fail(
        epoch,
        load,
        generation,
        `stored policies do not compile (${names.slice(0, 5).join(", ") || "duplicates"}${first ? `: ${first.message}` : ""}); fix or delete them through the API`,
      );
    }
    if (set.policies.length === 0 && !this.options.allowEmpty)
      return this.#fail(
        epoch,
        load,
        generation,
        "no policies are in force; create one, or set CELGATE_ALLOW_EMPTY_POLICY_SET=true to allow everything on purpose",
      );
    const snapshot: PolicySnapshot = {
      generation,
      set,
      admissionSet: admissionSetOf(set),
      documents,
      versions: new Map(policyRows.map((r) => [r.name, r.version])),
      versionsJson: JSON.stringify(Object.fromEntries(policyRows.map((r) => [r.name, r.version]))),
      exceptions: exceptionRows.map((r) => r.document),
      loadedAt: Date.now(),
    };
    this.logger.info(
      { generation, policies: set.policies.length, compileMs: Math.round(performance.now() - started) },
      "policy set loaded",
    );
    // a load overtaken by one begun after it installs nothing: its rows may be older
    if (load < this.#installed) return snapshot;
    if (this.#failure) this.logger.info({ generation }, "a policy set can be served again");
    this.#failure = null;
    this.#snapshot = snapshot;
    this.#installed = load;
    this.#checked(epoch);
    this.onLoad(snapshot);
    return snapshot;
  }
}
