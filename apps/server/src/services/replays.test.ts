// A replay of many recorded evaluations reads their inputs a few at a time: up to 500 may be
// replayed, each input as large as a request body, and reading them all at once could take
// gigabytes. The evaluation service is the real one; the test only watches what it is asked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, STRICTER_MIN_REPLICAS, setupApp, type TestApp } from "../test/harness.js";
import type { EvaluationService } from "./evaluations.js";
import { REPLAY_INPUT_CHUNK, ReplayService } from "./replays.js";

describe.each(BACKENDS)("replay memory on %s", (backend) => {
  let t: TestApp;
  const ids: string[] = [];
  const COUNT = REPLAY_INPUT_CHUNK * 2 + 3;

  beforeAll(async () => {
    t = await setupApp(backend);
    for (let i = 0; i < COUNT; i++) {
      const res = await t.call("POST", "/v1/evaluations", {
        body: { manifests: deploymentYaml(`app-${i}`, { owner: "x", replicas: 2 }) },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
  }, 120_000);
  afterAll(() => t.close());

  it("reads the inputs of a replay a few at a time, and replays each recorded evaluation once", async () => {
    const asked: number[] = [];
    const real = t.services.evaluations;
    const watched: EvaluationService = Object.create(real, {
      inputsOf: {
        value: (list: readonly string[]) => {
          asked.push(list.length);
          return real.inputsOf(list);
        },
      },
    });
    const replays = new ReplayService(t.database.db, t.services.runtime, watched, t.services.evaluator);
    const principal = { tokenId: "tk_test", name: "test", role: "author" as const };
    const report = await replays.replay(principal, {
      policies: STRICTER_MIN_REPLICAS,
      evaluations: [...ids, ids[0]!],
      limit: 100,
    });
    expect(Math.max(...asked)).toBeLessThanOrEqual(REPLAY_INPUT_CHUNK);
    // an id given twice is replayed once
    expect(report).toMatchObject({ evaluations: COUNT, resources: COUNT, changed: COUNT });
    expect(new Set(report.changes.map((c) => c.evaluation)).size).toBe(COUNT);
    expect(asked.reduce((a, b) => a + b, 0)).toBe(COUNT);
    // an id that is not recorded is still refused as a whole, before anything is read
    asked.length = 0;
    await expect(
      replays.replay(principal, {
        policies: STRICTER_MIN_REPLICAS,
        evaluations: [ids[0]!, "ev_missing"],
        limit: 100,
      }),
    ).rejects.toThrow("no evaluations with ids ev_missing");
    expect(asked).toEqual([]);
  });
});
