// `celgate check --server --receipt` and `celgate verify` against the real service (in process,
// over PGlite). Most runs call main() in process; two spawn the binary for real exit codes.
import { spawn } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createClient, jwkThumbprint } from "@celgate/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../sdk/src/testing/service.js";
import { runInProcess } from "./test/in-process.js";

const binary = fileURLToPath(new URL("./main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

const deployment = (name: string, labels: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
${labels}spec:
  replicas: ${replicas}
  template:
    spec:
      containers: [{ name: app, image: "registry.example/shop/${name}:1.0" }]
`;
const OWNED = "  labels: { owner: shop }\n";

let service: TestService;
let work: string;
let token = "";
const path = (...p: string[]) => join(work, ...p);

const run = runInProcess;

/** The binary as a child process (the service runs in this one, so not spawnSync). */
function spawnCelgate(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", tsx, binary, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const checkServer = (receipt: string, ...manifests: string[]) =>
  run(["check", "--server", service.baseUrl, "--token", token, "--receipt", receipt, "-q", ...manifests]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "celgate-verify-"));
  mkdirSync(path("k8s"));
  writeFileSync(path("k8s", "web.yaml"), deployment("web", OWNED));
  writeFileSync(path("k8s", "api.yaml"), deployment("api", OWNED));
  writeFileSync(path("bad.yaml"), deployment("bad", ""));
  service = await startTestService();
  const admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
  token = (await admin.tokens.create({ name: "ci", role: "evaluator" })).token;
  // the pinned keys, as a deploy job keeps them: the JWKS, and the key as a PEM public key
  const jwks = await admin.keys.list();
  writeFileSync(path("keys.json"), JSON.stringify(jwks));
  const pem = createPublicKey({ key: { ...jwks.keys[0]! }, format: "jwk" }).export({
    type: "spki",
    format: "pem",
  });
  writeFileSync(path("key.pem"), pem);
});

afterAll(async () => {
  await service?.close();
});

describe("celgate check --server --receipt, then celgate verify", () => {
  it("writes the receipt of an allowed decision, which verifies against the same manifests (0)", async () => {
    const check = await checkServer(path("receipt.json"), path("k8s"));
    expect(check.code, check.stderr).toBe(0);
    const envelope = JSON.parse(readFileSync(path("receipt.json"), "utf8"));
    expect(envelope.payloadType).toBe("application/vnd.in-toto+json");

    const byFile = await run(["verify", path("receipt.json"), path("k8s"), "--key", path("keys.json")]);
    expect(byFile.stderr).toBe("");
    expect(byFile.code).toBe(0);
    expect(byFile.stdout).toMatch(/^VALID receipt .*receipt\.json: allow for these manifests/);
    expect(byFile.stdout).toMatch(/evaluation ev_\S+ at \S+ \(cli\), decision allow/);

    const byPem = await run([
      "verify",
      path("receipt.json"),
      path("k8s", "web.yaml"),
      path("k8s", "api.yaml"),
      "-k",
      path("key.pem"),
    ]);
    expect(byPem.code, byPem.stdout).toBe(0);
    const byUrl = await run([
      "verify",
      path("receipt.json"),
      path("k8s"),
      "--key",
      `${service.baseUrl}/v1/keys`,
      "--max-age",
      "1h",
      "--require-policy",
      "owner-label",
      "-o",
      "json",
    ]);
    expect(byUrl.code, byUrl.stdout).toBe(0);
    expect(JSON.parse(byUrl.stdout)).toMatchObject({
      valid: true,
      ok: true,
      problems: [],
      subjectsCompared: true,
    });
  });

  it("exits 1 naming each resource that differs or is missing, and for a check that fails", async () => {
    await checkServer(path("receipt-2.json"), path("k8s"));
    writeFileSync(path("web-changed.yaml"), deployment("web", OWNED, 3));
    const changed = await run([
      "verify",
      path("receipt-2.json"),
      path("web-changed.yaml"),
      "-k",
      path("keys.json"),
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("mismatch: Deployment/shop/web differs from the evaluated one");
    expect(changed.stdout).toContain(
      "mismatch: Deployment/shop/api is in the receipt but not among the manifests",
    );

    const extra = await run([
      "verify",
      path("receipt-2.json"),
      path("k8s"),
      path("bad.yaml"),
      "-k",
      path("keys.json"),
    ]);
    expect(extra.code).toBe(1);
    expect(extra.stdout).toContain("Deployment/shop/bad is not in the receipt");

    const digest = await run([
      "verify",
      path("receipt-2.json"),
      path("k8s"),
      "-k",
      path("keys.json"),
      "--policies-digest",
      `sha256:${"0".repeat(64)}`,
      "--require-policy",
      "no-such-policy",
    ]);
    expect(digest.code).toBe(1);
    expect(digest.stdout).toContain("not the expected sha256:0000");
    expect(digest.stdout).toContain("policy no-such-policy was not in the evaluated policy set");
  });

  it("exits 1 for a valid receipt of a denied decision, which check writes too", async () => {
    const check = await checkServer(path("denied.json"), path("bad.yaml"));
    expect(check.code).toBe(1);
    const r = await run(["verify", path("denied.json"), path("bad.yaml"), "-k", path("keys.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^VALID receipt .*, but it does not allow these manifests/);
    expect(r.stdout).toContain("is deny");
  });

  it("exits 2 for a receipt changed after signing or signed by a key not trusted (a real process)", async () => {
    await checkServer(path("receipt-3.json"), path("k8s"));
    const envelope = JSON.parse(readFileSync(path("receipt-3.json"), "utf8"));
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    statement.predicate.context = { environment: "prod" };
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    writeFileSync(path("tampered.json"), JSON.stringify(envelope));
    const tampered = await spawnCelgate([
      "verify",
      path("tampered.json"),
      path("k8s"),
      "-k",
      path("keys.json"),
    ]);
    expect(tampered.code).toBe(2);
    expect(tampered.stdout).toContain("INVALID receipt");
    expect(tampered.stdout).toContain("the signature does not verify");

    const other = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
      format: "jwk",
    }).export({ type: "spki", format: "pem" });
    writeFileSync(path("other.pem"), other);
    const wrongKey = await spawnCelgate([
      "verify",
      path("receipt-3.json"),
      path("k8s"),
      "-k",
      path("other.pem"),
    ]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stdout).toContain("not among the 1 trusted key(s)");
  });

  it("exits 2 for a pinned key file that gives the service's kid to another key", async () => {
    await checkServer(path("receipt-4.json"), path("k8s"));
    const jwks = JSON.parse(readFileSync(path("keys.json"), "utf8"));
    const kid = jwks.keys[0].kid as string;
    const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"; // RFC 8037's example key
    writeFileSync(path("edited-keys.json"), JSON.stringify({ keys: [{ ...jwks.keys[0], x }] }));
    const r = await run(["verify", path("receipt-4.json"), path("k8s"), "-k", path("edited-keys.json")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^INVALID receipt .*receipt-4\.json\n/);
    expect(r.stdout).toContain(
      `invalid: the keys given are refused: the key with kid "${kid}" is not that key (its public key's RFC 7638 thumbprint is kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k)`,
    );
    const json = await run(["verify", path("receipt-4.json"), "-k", path("edited-keys.json"), "-o", "json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      keyId: null,
      problems: [{ code: "key-id" }],
    });
  });

  it("verifies a saved API response that holds the receipt, and says when no manifests were compared", async () => {
    const client = createClient({ baseUrl: service.baseUrl, token });
    const report = await client.evaluate({ manifests: deployment("solo", OWNED) });
    // the SDK reads the same envelope from the receipt route
    expect(report.receipt).toBeDefined();
    expect(await client.evaluations.receipt(report.id!)).toEqual(report.receipt);
    writeFileSync(path("report.json"), JSON.stringify(report));
    const r = await run(["verify", path("report.json"), "-k", path("keys.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("note: no manifests given");
  });

  it("refuses a report holding another evaluation's receipt (1), and a file that repeats a key (2)", async () => {
    const client = createClient({ baseUrl: service.baseUrl, token });
    const allowed = await client.evaluate({ manifests: deployment("one", OWNED) });
    const other = await client.evaluate({ manifests: deployment("two", OWNED) });
    // a genuine receipt pasted into another report: the report's claims are not what was signed
    writeFileSync(path("swapped.json"), JSON.stringify({ ...other, receipt: allowed.receipt }));
    const swapped = await run(["verify", path("swapped.json"), "-k", path("keys.json")]);
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toContain(`mismatch: the receipt is of evaluation ${allowed.id}, not ${other.id}`);
    // JSON.parse keeps the last payload, another reader the first: refused, whichever is genuine
    const envelope = JSON.stringify(allowed.receipt);
    const doubled = envelope.replace(
      '{"payload":',
      `{"payload":${JSON.stringify(other.receipt!.payload)},"payload":`,
    );
    writeFileSync(path("doubled.json"), doubled);
    const r = await run(["verify", path("doubled.json"), "-k", path("keys.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the key payload occurs twice in one object");
  });
});

describe("celgate verify against a hostile signer or manifest", () => {
  /** DSSE's pre-authentication encoding, as the signer computes it. */
  const pae = (type: string, payload: Buffer) =>
    Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);

  it("refuses (2) a receipt signed with a pinned key after that key was retired, read from the key file", async () => {
    // whoever kept a copy of a retired private key (a database backup) signs a fresh receipt
    await checkServer(path("receipt-5.json"), path("k8s"));
    const genuine = JSON.parse(readFileSync(path("receipt-5.json"), "utf8"));
    const statement = JSON.parse(Buffer.from(genuine.payload, "base64").toString("utf8"));
    const now = Date.now();
    statement.predicate.signedAt = new Date(now).toISOString();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const x = publicKey.export({ format: "jwk" }).x as string;
    const kid = await jwkThumbprint(x);
    const payload = Buffer.from(JSON.stringify(statement), "utf8");
    const sig = sign(null, pae(genuine.payloadType, payload), privateKey).toString("base64");
    writeFileSync(
      path("stolen.json"),
      JSON.stringify({
        payload: payload.toString("base64"),
        payloadType: genuine.payloadType,
        signatures: [{ keyid: kid, sig }],
      }),
    );
    const keyFile = (name: string, retiredAt: unknown) => {
      writeFileSync(
        path(name),
        JSON.stringify({
          keys: [{ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA", x, kid, retiredAt }],
        }),
      );
      return path(name);
    };
    // retired an hour before the receipt was signed: the key file says so, and verify must read it
    const retired = keyFile("retired-keys.json", new Date(now - 3_600_000).toISOString());
    const refused = await run(["verify", path("stolen.json"), path("k8s"), "-k", retired]);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.stdout).toMatch(/^INVALID receipt /);
    expect(refused.stdout).toContain(
      `invalid: signed at ${statement.predicate.signedAt} with key ${kid}, which was retired at`,
    );
    const json = await run(["verify", path("stolen.json"), "-k", retired, "-o", "json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems).toEqual([expect.objectContaining({ code: "key-retired" })]);
    // retired later than it signed: the same receipt is taken
    const later = keyFile("later-keys.json", new Date(now + 3_600_000).toISOString());
    expect((await run(["verify", path("stolen.json"), path("k8s"), "-k", later])).code).toBe(0);
    // a retiredAt that is not a time is an edited file, refused by name rather than ignored
    const edited = await run([
      "verify",
      path("stolen.json"),
      "-k",
      keyFile("edited-retired.json", "yesterday"),
    ]);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain(
      `the key ${kid} has a retiredAt that is not an RFC 3339 time ("yesterday")`,
    );
  });

  it("counts a __proto__ key of a manifest as data: the manifest with one added differs (1)", async () => {
    const configMap = (extra: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n  labels: { owner: shop }\ndata:\n  mode: safe\n${extra}`;
    mkdirSync(path("cm"));
    writeFileSync(path("cm", "settings.yaml"), configMap(""));
    const check = await checkServer(path("receipt-cm.json"), path("cm"));
    expect(check.code, check.stderr).toBe(0);
    expect((await run(["verify", path("receipt-cm.json"), path("cm"), "-k", path("keys.json")])).code).toBe(
      0,
    );
    // a valid ConfigMap key, which a plain object takes as its prototype (and drops from the text)
    writeFileSync(path("cm-proto.yaml"), configMap('  __proto__: "rm -rf /"\n'));
    const added = await run([
      "verify",
      path("receipt-cm.json"),
      path("cm-proto.yaml"),
      "-k",
      path("keys.json"),
    ]);
    expect(added.code, added.stdout).toBe(1);
    expect(added.stdout).toContain("mismatch: ConfigMap/shop/settings differs from the evaluated one");
    // and the manifest evaluated with one verifies against its own receipt
    mkdirSync(path("cm-2"));
    writeFileSync(path("cm-2", "settings.yaml"), configMap('  __proto__: "rm -rf /"\n'));
    expect((await checkServer(path("receipt-cm-2.json"), path("cm-2"))).code).toBe(0);
    const own = await run(["verify", path("receipt-cm-2.json"), path("cm-2"), "-k", path("keys.json")]);
    expect(own.code, own.stdout).toBe(0);
  });
});

describe("celgate verify: usage and input errors (exit 2)", () => {
  it("prints its help", async () => {
    const r = await run(["verify", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: celgate verify RECEIPT \[MANIFEST\.\.\.\] --key FILE\|URL/);
    expect((await run(["--help"])).stdout).toContain("verify RECEIPT");
  });

  it.each([
    [["verify"], "no receipt given"],
    [["verify", "r.json"], "no --key given"],
    [["verify", "r.json", "-k", "k.json", "--max-age", "soon"], '--max-age "soon": expected a duration'],
    [["verify", "r.json", "-k", "k.json", "--policies-digest", "abc"], "expected sha256: and 64 hex digits"],
    [["verify", "r.json", "-k", "k.json", "-o", "yaml"], "expected one of text, json"],
    [["verify", "r.json", "-k", "k.json", "--bogus"], "unknown option --bogus"],
    [["check", "--receipt", "r.json", "m.yaml"], "--receipt needs --server"],
  ])("%j", async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("names a receipt or key file that cannot be used", async () => {
    writeFileSync(path("not-json.txt"), "hello");
    writeFileSync(path("rsa.json"), JSON.stringify({ keys: [{ kty: "RSA", n: "x", e: "AQAB" }] }));
    writeFileSync(
      path("private.pem"),
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    const cases: [string[], string][] = [
      [["verify", path("absent.json"), "-k", path("keys.json")], "absent.json"],
      [["verify", path("not-json.txt"), "-k", path("keys.json")], "not JSON"],
      [["verify", path("receipt.json"), "-k", path("absent.pem")], "cannot read"],
      [["verify", path("receipt.json"), "-k", path("rsa.json")], "holds no Ed25519 public key"],
      [
        ["verify", path("receipt.json"), "-k", path("private.pem")],
        "a private key; give the public key only",
      ],
      [["verify", path("receipt.json"), "-k", path("not-json.txt")], "neither a PEM public key nor JSON"],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    // a file that is JSON but not an envelope is an invalid receipt: exit 2, said on stdout
    writeFileSync(path("empty.json"), "{}");
    const empty = await run(["verify", path("empty.json"), "-k", path("keys.json")]);
    expect(empty.code).toBe(2);
    expect(empty.stdout).toContain("invalid: not a DSSE envelope");
  });
});
