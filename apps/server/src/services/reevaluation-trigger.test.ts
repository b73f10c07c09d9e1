import { parseImageFacts } from "@celgate/core";
import { describe, expect, it } from "vitest";
import { triggerOf } from "./reevaluation.js";

const digest = `sha256:${"1".repeat(64)}`;

/** Native image facts for the digest, with the given critical vulnerabilities. */
function factsWith(ids: string[]) {
  const parsed = parseImageFacts(
    [
      {
        ref: `registry.example/shop/web@${digest}`,
        scan: {
          scanner: "trivy 0.58.0",
          scannedAt: "2026-12-01T00:00:00Z",
          vulnerabilities: ids.map((id) => ({ id, severity: "critical", package: "openssl" })),
        },
      },
    ],
    "facts.json",
  );
  if (parsed.images.length !== 1) throw new Error("facts did not parse");
  return parsed.images;
}

describe("a finding's trigger", () => {
  it("names the vulnerabilities of the facts the evaluation used, not those read when the change's scope was", () => {
    // the scope was read when the image's scan was clean; a critical scan was stored before the evaluation
    const cause = { cause: "new-scan" as const, trigger: { image: digest, vulnerabilities: [] } };
    expect(triggerOf(cause, factsWith(["CVE-2026-1111"]))).toEqual({
      image: digest,
      vulnerabilities: ["CVE-2026-1111"],
    });
  });

  it("keeps the scope's trigger when the evaluation used no facts of that image, and for other causes", () => {
    const cause = { cause: "new-scan" as const, trigger: { image: digest, vulnerabilities: ["CVE-1"] } };
    expect(triggerOf(cause, [])).toBe(cause.trigger);
    const policy = { cause: "policy-change" as const, trigger: { policy: "p", version: 2 } };
    expect(triggerOf(policy, factsWith(["CVE-2026-1111"]))).toBe(policy.trigger);
  });
});
