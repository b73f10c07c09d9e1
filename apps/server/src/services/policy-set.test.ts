// The policy set in force reads its own writes: a change made through this instance is seen by
// the next evaluation, even when a check of the generation counter begun before the change is
// still under way (the race behind an exception that an evaluation made just after missed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { createLogger } from "../lib/logger.js";
import { BACKENDS, exceptionYaml, openTestDatabase } from "../test/harness.js";
import { EXCEPTION_RESOURCE } from "./exceptions.js";
import { type GenerationReading, Generations } from "./generations.js";
import { parseSingleDocument } from "./policies.js";
import { PolicySetRuntime } from "./policy-set.js";
import { VersionedStore } from "./versioned.js";

const exception = (name: string) => parseSingleDocument({ text: exceptionYaml(name) }, "PolicyException");

/** Counter readings that, while held, are taken but not handed back until released. */
class HeldGenerations extends Generations {
  #hold: Promise<void> | null = null;
  #release: () => void = () => {};
  taken = 0;

  hold(): void {
    this.#hold = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#hold = null;
    this.#release();
  }

  override async read(maxAgeMs: number): Promise<GenerationReading> {
    const hold = this.#hold;
    const reading = await super.read(maxAgeMs);
    this.taken++;
    if (hold) await hold;
    return reading;
  }
}

describe.each(BACKENDS)("the policy set reads its own writes on %s", (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase(backend));
  });
  afterAll(() => drop());

  /**
   * A policy set with a long poll (within it only invalidate() makes it check the counter
   * again) whose counter readings can be held, and a store of exceptions that changes it.
   */
  function heldPolicySet() {
    const generations = new HeldGenerations(database.db);
    const runtime = new PolicySetRuntime(database.db, createLogger("silent"), 60_000, () => {}, {
      allowEmpty: true,
      generations,
    });
    return { generations, runtime, store: new VersionedStore(database.db, runtime, EXCEPTION_RESOURCE) };
  }

  /** Starts a check of the counter (as an earlier change asks for one) and waits until it has read it and stalls. */
  async function stalledCheck(generations: HeldGenerations, runtime: PolicySetRuntime) {
    runtime.invalidate();
    generations.hold();
    const taken = generations.taken;
    const check = runtime.get();
    await expect.poll(() => generations.taken).toBe(taken + 1);
    // in an object: an async function returning the promise itself would wait for it
    return { check };
  }

  it("does not answer with a check that read the counter before a change made here", async () => {
    const { generations, runtime, store } = heldPolicySet();
    const before = await runtime.get();
    expect(before.exceptions).toEqual([]);

    // a check begins (some earlier change asked for one) and reads the counter, then stalls
    const { check: stale } = await stalledCheck(generations, runtime);

    // the exception is written and committed while that check is still under way
    await store.create("alice", "legacy", exception("legacy"));
    const fresh = runtime.get();
    generations.release();

    // the stalled check may answer its own caller with what it read; the next caller may not
    expect((await stale).generation).toBe(before.generation);
    const after = await fresh;
    expect(after.generation).toBeGreaterThan(before.generation);
    expect(after.exceptions.map((e) => e.metadata.name)).toEqual(["legacy"]);
    // and the stalled check did not mark the old state as checked: later callers see the change too
    expect((await runtime.get()).exceptions.map((e) => e.metadata.name)).toEqual(["legacy"]);
    expect(runtime.current?.generation).toBe(after.generation);
  });

  it("does not answer with the set a load under way replaces, to a caller arriving meanwhile", async () => {
    const { generations, runtime, store } = heldPolicySet();
    await runtime.get();
    // the change, then a check that has read the new counter and goes on to load the new set
    await store.create("alice", "meanwhile", exception("meanwhile"));
    const { check } = await stalledCheck(generations, runtime);
    generations.release();
    // a turn of the event loop: the check is loading (its queries are out), not done
    await new Promise((resolve) => setImmediate(resolve));
    const meanwhile = await runtime.get();
    expect(meanwhile.exceptions.map((e) => e.metadata.name)).toContain("meanwhile");
    expect((await check).generation).toBe(meanwhile.generation);
  });

  it("ends on the newest generation when a change by another replica and one made here load at once", async () => {
    const { generations, runtime, store: here } = heldPolicySet();
    const otherReplica = new VersionedStore(
      database.db,
      new PolicySetRuntime(database.db, createLogger("silent"), 60_000, () => {}, { allowEmpty: true }),
      EXCEPTION_RESOURCE,
    );
    const first = await runtime.get();

    // another replica's change: this instance learns of it only by checking the counter
    await otherReplica.create("bob", "elsewhere", exception("elsewhere"));
    const { check: older } = await stalledCheck(generations, runtime);
    await here.create("alice", "here", exception("here"));
    const newer = runtime.get();
    generations.release();
    const [a, b] = await Promise.all([older, newer]);
    expect(a.generation).toBeGreaterThan(first.generation);
    // the older check's load reads the rows, and the counter, of the moment it runs: the
    // generation it names is that of its rows, which may be the newer one already
    expect(b.generation).toBeGreaterThanOrEqual(a.generation);
    expect(b.exceptions.map((e) => e.metadata.name)).toEqual(expect.arrayContaining(["elsewhere", "here"]));
    expect(runtime.current?.generation).toBe(b.generation);
    expect((await runtime.get()).generation).toBe(b.generation);
  });
});
