// The SDK's policy-test methods against the real service over a repository with tests
// (apps/server's test fixture policy-tests: replica-limit has six cases, two failing on purpose).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClient } from "./client.js";
import { ApiError } from "./errors.js";
import { startTestService, type TestService } from "./testing/service.js";

const DIR = fileURLToPath(new URL("../../../apps/server/src/test/fixtures/policy-tests", import.meta.url));
let service: TestService;

beforeAll(async () => {
  service = await startTestService({ policyDir: DIR });
});
afterAll(async () => {
  await service?.close();
});

it("lists a policy's cases and runs them, pass and fail with reasons", async () => {
  const admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
  const viewer = createClient({
    baseUrl: service.baseUrl,
    token: (await admin.tokens.create({ name: "sdk viewer", role: "viewer" })).token,
  });
  const list = await viewer.policies.tests("replica-limit");
  expect(list.empty).toBeNull();
  expect(list.cases).toHaveLength(6);
  expect(list.cases[1]?.fixture?.content).toContain("replicas: 8");
  const run = await viewer.policies.runTests("replica-limit");
  expect([run.passed, run.failed]).toEqual([4, 2]);
  const wrong = run.cases.find((c) => !c.passed && c.actual !== undefined);
  expect(wrong).toMatchObject({ expected: "pass", actual: "fail", messages: ["more than 5 replicas"] });
});

it("says why a policy has no tests, and throws ApiError 404 for no policy", async () => {
  const admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
  expect((await admin.policies.tests("untested")).empty?.reason).toBe("no-tests");
  expect((await admin.policies.runTests("untested")).cases).toEqual([]);
  const error = await admin.policies.tests("missing").catch((e: unknown) => e);
  expect(ApiError.is(error) && error.status).toBe(404);
});
