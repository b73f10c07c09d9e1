import { describe, expect, it } from "vitest";
import { formatReference, imageKey, normalisedName, parseImageReference, tagKey } from "./reference.js";
import type { ImageReference } from "./types.js";

const D64 = "a".repeat(64);
const DIGEST = `sha256:${D64}`;

function parsed(ref: string): ImageReference {
  const result = parseImageReference(ref);
  if ("error" in result) throw new Error(`expected ${ref} to parse: ${result.error}`);
  return result;
}

function error(ref: string): string {
  const result = parseImageReference(ref);
  if (!("error" in result)) throw new Error(`expected ${ref} to fail, got ${JSON.stringify(result)}`);
  return result.error;
}

describe("parseImageReference", () => {
  it.each([
    ["nginx", "docker.io", "library/nginx", null, null],
    ["nginx:1.27", "docker.io", "library/nginx", "1.27", null],
    ["docker.io/nginx", "docker.io", "library/nginx", null, null],
    ["docker.io/library/nginx:1.27", "docker.io", "library/nginx", "1.27", null],
    ["index.docker.io/nginx", "docker.io", "library/nginx", null, null],
    ["index.docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7", null],
    ["bitnami/redis", "docker.io", "bitnami/redis", null, null],
    ["localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", null],
    ["localhost/app", "localhost", "app", null, null],
    ["localhost:5000", "docker.io", "library/localhost", "5000", null],
    ["ghcr.io/org/team/app:v1.2.3-rc.1_x", "ghcr.io", "org/team/app", "v1.2.3-rc.1_x", null],
    ["registry.internal.example:8443/shop/web", "registry.internal.example:8443", "shop/web", null, null],
    [`nginx@${DIGEST}`, "docker.io", "library/nginx", null, DIGEST],
    [`nginx:1.27@${DIGEST}`, "docker.io", "library/nginx", "1.27", DIGEST],
    [`quay.io/a/b:1@${DIGEST}`, "quay.io", "a/b", "1", DIGEST],
    ["my_org/my__app/a-b--c.d", "docker.io", "my_org/my__app/a-b--c.d", null, null],
    ["[::1]:5000/app", "[::1]:5000", "app", null, null],
    // Docker takes an upper-case first component for a host name; we lower-case hosts.
    ["Example.COM/app", "example.com", "app", null, null],
    ["Foo/bar", "foo", "bar", null, null],
  ])("%s", (ref, registry, repository, tag, digest) => {
    expect(parsed(ref)).toEqual({ ref, registry, repository, tag, digest });
  });

  it("keeps the reference as written", () => {
    expect(parsed("nginx").ref).toBe("nginx");
  });

  it.each([
    ["", /empty/],
    ["Nginx", /must be lowercase/],
    ["docker.io/Library/nginx", /must be lowercase/],
    ["ghcr.io/Org/app", /must be lowercase/],
    ["nginx:", /invalid tag/],
    [":1.27", /missing repository/],
    ["nginx:-bad", /invalid tag/],
    [`nginx:${"t".repeat(129)}`, /invalid tag/],
    ["nginx@sha256:abc", /invalid digest/],
    [`nginx@sha256:${"a".repeat(63)}`, /64 lower-case hexadecimal/],
    [`nginx@sha256:${"A".repeat(64)}`, /lower-case hexadecimal/],
    [`nginx@md5:${"a".repeat(32)}`, /unsupported digest algorithm/],
    [`nginx@${DIGEST}@${DIGEST}`, /invalid digest/],
    ["nginx@", /invalid digest/],
    [" nginx", /whitespace/],
    ["nginx ", /whitespace/],
    ["/nginx", /invalid repository name/],
    ["nginx/", /invalid repository name/],
    ["a//b", /invalid repository name/],
    ["a/b_/c", /invalid repository name/],
    ["a/-b", /invalid repository name/],
    ["a/b___c", /invalid repository name/],
    ["-bad.example/app", /invalid registry/],
    ["host.example:port/app", /invalid registry/],
    [D64, /image ID/],
    ["!!!", /invalid repository name/],
    ["http://example.com/app", /invalid/],
  ])("rejects %j", (ref, message) => {
    expect(error(ref)).toMatch(message);
  });

  it("rejects over-long names and input", () => {
    expect(error(`a/${"b".repeat(260)}`)).toMatch(/longer than 255/);
    expect(error("x".repeat(10_000))).toMatch(/longer than 512/);
  });

  it("never throws on wrong types", () => {
    for (const value of [null, undefined, 42, {}, []]) {
      expect(parseImageReference(value as unknown as string)).toHaveProperty("error");
    }
  });

  it("accepts sha512 digests of the right length only", () => {
    expect(parsed(`a@sha512:${"b".repeat(128)}`).digest).toBe(`sha512:${"b".repeat(128)}`);
    expect(error(`a@sha512:${"b".repeat(64)}`)).toMatch(/sha512 digest is 128/);
  });
});

describe("normalisedName", () => {
  it("is registry/repository[:tag] without the digest", () => {
    expect(normalisedName("nginx")).toBe("docker.io/library/nginx");
    expect(normalisedName("nginx:1.27")).toBe("docker.io/library/nginx:1.27");
    expect(normalisedName(`nginx:1.27@${DIGEST}`)).toBe("docker.io/library/nginx:1.27");
    expect(normalisedName(parsed("localhost:5000/a/b:tag"))).toBe("localhost:5000/a/b:tag");
  });

  it("is null for a string that is not a reference", () => {
    expect(normalisedName("Bad Ref")).toBeNull();
  });
});

describe("formatReference", () => {
  it("writes the full normalised form", () => {
    expect(formatReference(parsed(`nginx:1@${DIGEST}`))).toBe(`docker.io/library/nginx:1@${DIGEST}`);
    expect(formatReference(parsed("index.docker.io/nginx"))).toBe("docker.io/library/nginx");
  });
});

describe("matching keys", () => {
  it("makes nginx:1.27 and docker.io/library/nginx:1.27 the same", () => {
    expect(tagKey(parsed("nginx:1.27"))).toBe(tagKey(parsed("docker.io/library/nginx:1.27")));
    expect(imageKey(parsed("nginx:1.27"))).toBe(imageKey(parsed("index.docker.io/library/nginx:1.27")));
  });

  it("reads a missing tag as latest, as Docker and Kubernetes pull", () => {
    expect(tagKey(parsed("nginx"))).toBe("docker.io/library/nginx:latest");
    expect(tagKey(parsed("nginx"))).toBe(tagKey(parsed("nginx:latest")));
  });

  it("gives no tag key for a digest-only reference", () => {
    expect(tagKey(parsed(`nginx@${DIGEST}`))).toBeNull();
    expect(imageKey(parsed(`nginx@${DIGEST}`))).toBe(DIGEST);
    expect(imageKey(parsed(`nginx:1.27@${DIGEST}`))).toBe(DIGEST);
  });

  it("tells different tags and registries apart", () => {
    expect(tagKey(parsed("nginx:1.27"))).not.toBe(tagKey(parsed("nginx:1.26")));
    expect(tagKey(parsed("nginx:1.27"))).not.toBe(tagKey(parsed("ghcr.io/library/nginx:1.27")));
  });
});
