import type { Database } from "../db/client.js";
import type { PolicySetRuntime } from "./policy-set.js";

/** What /readyz reports. */
export interface ReadyState {
  ready: boolean;
  checks: { database: boolean; policies: boolean };
  /** Policies in the compiled set in force, once one was loaded. */
  policies: number | undefined;
  /** Why the instance is not ready, when it is not. */
  reason: string | undefined;
  /** performance.now() when the check finished. */
  checkedAt: number;
}

export interface ReadinessOptions {
  /** How often the background loop checks; default 1 s. */
  intervalMs?: number;
  /** A state older than this is not reported: the probe waits for a new check. Default 3 s. */
  maxAgeMs?: number;
  /** How long the database may take to answer a check; default 1.5 s. */
  pingTimeoutMs?: number;
}

/**
 * Readiness, checked in the background and cached, so that a probe never queues behind the
 * database: the database answers a trivial query and the policy set in force is compiled. A
 * probe gets the last state when it is at most `maxAgeMs` old, else waits for a check (at most
 * the ping timeout). Without start() (tests), each probe past `maxAgeMs` checks on demand.
 */
export class Readiness {
  readonly #database: Database;
  readonly #runtime: PolicySetRuntime;
  readonly #intervalMs: number;
  readonly #maxAgeMs: number;
  readonly #pingTimeoutMs: number;
  #state: ReadyState | null = null;
  #checking: Promise<ReadyState> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(database: Database, runtime: PolicySetRuntime, options: ReadinessOptions = {}) {
    this.#database = database;
    this.#runtime = runtime;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#maxAgeMs = options.maxAgeMs ?? 3000;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 1500;
  }

  /**
   * The state for a probe: the database check cached when recent enough (else a fresh check),
   * combined with what this process knows without asking (the embedded database broken, the
   * policy set failed or replaced), so a refusal shows at once. Never throws.
   */
  async state(): Promise<ReadyState> {
    const s = this.#state;
    const checked = s && performance.now() - s.checkedAt <= this.#maxAgeMs ? s : await this.check();
    return this.#live(checked.checks.database, checked.checkedAt);
  }

  /** Checks now (joining a check in progress) and caches the result. Never throws. */
  check(): Promise<ReadyState> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = null;
    });
    return this.#checking;
  }

  /** Marks the database unreachable until the next successful check (a request just found it so). */
  databaseDown(): void {
    if (this.#state?.checks.database) this.#state = this.#live(false, this.#state.checkedAt);
  }

  /** Starts the background loop: one check every interval, one at a time. */
  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => void this.check().finally(loop), this.#intervalMs);
      this.#timer.unref();
    };
    void this.check().finally(loop);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #check(): Promise<ReadyState> {
    let database = this.#database.broken() === null && (await this.#database.ping(this.#pingTimeoutMs));
    if (database) {
      try {
        // loads the policy set, or records why it cannot be served (runtime.failure)
        await this.#runtime.get();
      } catch {
        // the database answered the ping but not this: it counts as not answering
        if (this.#runtime.failure === null) database = false;
      }
    }
    this.#state = this.#live(database, performance.now());
    return this.#state;
  }

  /** The state from the last database check and the process's own knowledge, as of now. */
  #live(answered: boolean, checkedAt: number): ReadyState {
    const broken = this.#database.broken();
    const database = broken === null && answered;
    const failure = this.#runtime.failure;
    const current = this.#runtime.current;
    const policies = failure === null && current !== null;
    const ready = database && policies;
    return {
      ready,
      checks: { database, policies },
      policies: current ? current.set.policies.length : undefined,
      reason: ready
        ? undefined
        : (broken ??
          (!database ? "the database does not answer" : (failure ?? "the policy set is not loaded"))),
      checkedAt,
    };
  }
}
