import { evaluate } from "@celgate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishReport } from "../evaluator/finish.js";
import type { Evaluator } from "../evaluator/index.js";
import { BACKENDS, deploymentYaml, setupApp, type TestApp } from "../test/harness.js";
import { Slots } from "./concurrency.js";

describe("Slots", () => {
  it("admits up to the limit, queues in order up to the queue size, refuses past it", async () => {
    const slots = new Slots({ active: 2, queue: 2 });
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire()?.then((release) => {
      order.push("c");
      return release;
    });
    const d = slots.acquire()?.then((release) => {
      order.push("d");
      return release;
    });
    expect(slots.acquire()).toBeNull();
    expect([slots.active, slots.queued]).toEqual([2, 2]);
    a?.();
    a?.(); // releasing twice frees one slot only
    const releaseC = await c;
    expect(order).toEqual(["c"]);
    b?.();
    const releaseD = await d;
    expect(order).toEqual(["c", "d"]);
    releaseC?.();
    releaseD?.();
    expect([slots.active, slots.queued]).toEqual([0, 0]);
  });

  it("gives up on a wait after maxWaitMs and leaves the queue", async () => {
    const slots = new Slots({ active: 1, queue: 5, maxWaitMs: 20 });
    const first = await slots.acquire();
    expect(await slots.acquire()).toBeNull();
    expect(slots.queued).toBe(0);
    first?.();
    expect(slots.active).toBe(0);
  });
});

describe.each(BACKENDS)("the evaluation queue on %s", (backend) => {
  let t: TestApp;
  let hold: Promise<void> = Promise.resolve();
  let entered = 0;
  // evaluates in process, but only once the test lets it
  const held: Evaluator = {
    evaluate: async (set, input) => {
      entered++;
      await hold;
      return evaluate(set, input);
    },
    evaluateFinished: async (set, input, versionsJson) =>
      finishReport(await held.evaluate(set, input), versionsJson),
    close: async () => {},
  };
  beforeAll(async () => {
    t = await setupApp(backend, { evaluator: held, concurrency: { active: 1, queue: 1, maxWaitMs: 20_000 } });
  });
  afterAll(() => t.close());

  it("lets one evaluation run, queues the next, answers 503 with Retry-After past the queue, and stays healthy", async () => {
    let open!: () => void;
    hold = new Promise((r) => {
      open = r;
    });
    const send = (name: string) =>
      t.call("POST", "/v1/evaluations", {
        token: t.tokens.evaluator,
        body: { manifests: deploymentYaml(name) },
      });
    const first = send("first");
    const second = send("second");
    while (entered < 1) await new Promise((r) => setTimeout(r, 10));
    const third = await send("third");
    expect(third.status).toBe(503);
    expect(third.headers.get("retry-after")).toBe("1");
    expect(third.body.detail).toMatch(/1 evaluations are in progress and 1 waiting/);
    expect((await t.call("GET", "/healthz", { token: null })).status).toBe(200);
    expect((await t.call("GET", "/v1/policies", { token: t.tokens.viewer })).status).toBe(200);
    expect(entered).toBe(1); // the second waits its turn
    open();
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    expect(entered).toBe(2);
    const metrics = t.services.metrics.render();
    expect(metrics).toContain("celgate_evaluations_shed_total 1");
  });
});
