// The command line used carelessly or with intent: links in folders, names that are Object's
// own properties, impossible dates, a folder given as a file, an output over an input, a disk
// that fills up, a reader that leaves stderr early. Each runs the CLI as a user would.
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exitCodeOf } from "./test/child.js";

const fixtures = fileURLToPath(new URL("../test/fixtures", import.meta.url));
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const NODE = [process.execPath, "--conditions=source", "--import", "tsx", main];
const ENV = { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "", CELGATE_CACHE: "off" };

/** Runs the CLI from source in `cwd` (the fixtures by default). */
function celgate(args: string[], cwd = fixtures) {
  const r = spawnSync(NODE[0]!, [...NODE.slice(1), ...args], {
    cwd,
    encoding: "utf8",
    env: ENV,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of stderr: the one-line reason, never a stack trace. */
function reason(r: { stderr: string }): string {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.trim().split("\n").at(-1) ?? "";
}

const POLICIES = join(fixtures, "policies");
const PRIVILEGED = join(fixtures, "manifests", "privileged.yaml");

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "celgate-careless-"));
}

describe("file names holding a newline or another control character", () => {
  it("shows them quoted on one line in the report, the diagnostics and the reason", () => {
    const dir = scratch();
    const pod = join(dir, "a\nb.yaml");
    cpSync(PRIVILEGED, pod);
    const report = celgate(["check", "-p", POLICIES, dir]);
    expect(report.code).toBe(1);
    expect(report.stdout.split("\n")).toContain(`Pod shop/debug (${JSON.stringify(pod)}:1)`);
    expect(report.stdout).not.toContain("a\nb");

    const bad = join(dir, "bad\nx.yaml");
    writeFileSync(bad, "a: [\n");
    const broken = celgate(["check", "-p", POLICIES, dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).not.toContain("bad\nx");
    expect(broken.stderr).toContain(`ERROR: ${JSON.stringify(bad)}:2:1: malformed YAML`);
    expect(reason(broken).startsWith(`celgate: ${JSON.stringify(bad)}:2:1: malformed YAML`)).toBe(true);

    const missing = celgate(["check", "-p", POLICIES, "no\u001b[31mfile.yaml"]);
    expect(missing.code).toBe(2);
    expect(reason(missing)).toBe('celgate: "no\\u001b[31mfile.yaml": no such file or directory');
  });
});

describe("symbolic links in a folder of manifests", () => {
  it("reads a linked manifest (a privileged pod is denied, not passed over)", () => {
    const dir = scratch();
    cpSync(join(fixtures, "manifests", "good.yaml"), join(dir, "good.yaml"));
    symlinkSync(PRIVILEGED, join(dir, "linked.yaml"));
    const r = celgate(["check", "-p", POLICIES, "-q", dir]);
    expect(r.stdout).toMatch(/^deny: 2 resources/m);
    expect(r.code).toBe(1);
  });

  it("walks a link to a folder inside it once (a link back up is no loop)", () => {
    const dir = scratch();
    mkdirSync(join(dir, "apps"));
    cpSync(PRIVILEGED, join(dir, "apps", "p.yaml"));
    symlinkSync(dir, join(dir, "apps", "top"));
    symlinkSync(join(dir, "apps"), join(dir, "also-apps"));
    const r = celgate(["check", "-p", POLICIES, "-q", dir]);
    expect(r.stdout).toMatch(/^deny: 1 resource,/m);
    expect(r.code).toBe(1);
  });

  it("refuses a link to a folder outside it (exit 2), rather than walk or skip it", () => {
    const outside = scratch();
    cpSync(PRIVILEGED, join(outside, "p.yaml"));
    const dir = scratch();
    symlinkSync(outside, join(dir, "more"));
    const r = celgate(["check", "-p", POLICIES, "-q", dir]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(
      /more: symbolic link to a folder outside .* \(.*\); name that folder on the command line to read it$/,
    );
  });

  it("refuses a dangling link or a loop of links named like a manifest (exit 2, naming it)", () => {
    const dir = scratch();
    cpSync(PRIVILEGED, join(dir, "p.yaml"));
    symlinkSync(join(dir, "gone.yaml"), join(dir, "dangling.yaml"));
    let r = celgate(["check", "-p", POLICIES, dir]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(/dangling\.yaml: symbolic link to nothing readable \(ENOENT\)$/);

    const loop = scratch();
    cpSync(PRIVILEGED, join(loop, "p.yaml"));
    symlinkSync("b.yaml", join(loop, "a.yaml"));
    symlinkSync("a.yaml", join(loop, "b.yaml"));
    r = celgate(["check", "-p", POLICIES, loop]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(/a\.yaml: symbolic link to nothing readable \(ELOOP\)$/);
  });
});

describe("--param and --context names that are Object's own", () => {
  it.each(["__proto__", "constructor", "toString"])(
    "--param %s.x=1 is a policy the set does not have (exit 2), not ignored",
    (name) => {
      const r = celgate(["check", "-p", "policies", "--param", `${name}.x=1`, "manifests/good.yaml"]);
      expect(r.code).toBe(2);
      expect(reason(r)).toBe(
        `celgate: --param "${name}.x=1": no policy named "${name}" among the 2 policies of policies`,
      );
    },
  );

  it("--context __proto__=x is a key of context", () => {
    const r = celgate(["eval", "--context", "__proto__=x", "context"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe('{"__proto__": "x"}\n(map)\n');
  });
});

describe("--now", () => {
  it.each([
    ["a day the calendar does not have", "2026-02-30T00:00:00Z"],
    ["no offset (it would be local time)", "2026-06-01T00:00:00"],
    ["an hour past 23", "2026-06-01T24:00:00Z"],
    ["trailing words", "2026-06-01 tomorrow"],
  ])("%s is refused (exit 2)", (_name, now) => {
    const r = celgate(["eval", "--now", now, "now"]);
    expect(r.code).toBe(2);
    expect(reason(r)).toBe(
      `celgate: --now ${JSON.stringify(now)}: expected an RFC 3339 timestamp such as 2026-06-01T00:00:00Z`,
    );
  });

  it.each([
    ["2026-06-01T02:00:00+02:00", "2026-06-01T00:00:00.000Z"],
    ["2028-02-29", "2028-02-29T00:00:00.000Z"],
  ])("%s is taken", (now, iso) => {
    const r = celgate(["eval", "--now", now, "now"]);
    expect(r.stdout.split("\n")[0]).toBe(`timestamp("${iso}")`);
    expect(r.code).toBe(0);
  });
});

describe("--params", () => {
  it("refuses a folder, whose files would be read but one (exit 2)", () => {
    const dir = scratch();
    writeFileSync(join(dir, "a.yaml"), "min-replicas: {min: 5}\n");
    const r = celgate(["check", "-p", "policies", "--params", dir, "manifests/good.yaml"]);
    expect(r.code).toBe(2);
    expect(reason(r)).toBe(`celgate: --params ${dir}: a folder; give one params file`);
  });

  it("refuses a stream of several documents, of which only the first would count (exit 2)", () => {
    const dir = scratch();
    const file = join(dir, "params.yaml");
    writeFileSync(file, "no-privileged: {}\n---\nmin-replicas: {min: 5}\n");
    const r = celgate(["check", "-p", "policies", "--params", file, "manifests/good.yaml"]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(
      /--params .*params\.yaml: 2 YAML documents; put every policy's params in one map$/,
    );
  });
});

describe("nothing selected, nothing found", () => {
  it("validate of an empty folder is exit 2, not ok", () => {
    const r = celgate(["validate", scratch()]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(/^celgate: no celgate documents found in /);
    expect(r.stdout).toBe("");
  });

  it("export vap with a --select that matches nothing is exit 2, not an empty export", () => {
    const r = celgate(["export", "vap", "-s", "practice=nosuch", "policies"]);
    expect(r.code).toBe(2);
    expect(reason(r)).toBe(`celgate: --select: no policy's labels match the selector "practice=nosuch"`);
    expect(r.stdout).toBe("");
  });
});

describe("standard input", () => {
  it.each([
    ["twice among the manifests", ["-", "-"]],
    ["as --params and a manifest", ["--params", "-", "-"]],
  ])('"-" %s is exit 2: it can be read once', (_name, args) => {
    const r = spawnSync(NODE[0]!, [...NODE.slice(1), "check", "-p", POLICIES, ...args], {
      cwd: fixtures,
      encoding: "utf8",
      env: ENV,
      input: readFileSync(PRIVILEGED, "utf8"),
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(reason(r)).toBe(`celgate: "-" (standard input) is given more than once; it can be read only once`);
  });
});

describe("a file that holds no resource", () => {
  it("says why (JSON with a comment is no object) before the one-line reason", () => {
    const dir = scratch();
    const file = join(dir, "pod.json");
    writeFileSync(file, '// the debug pod\n{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}\n');
    const r = celgate(["check", "-p", POLICIES, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^warning: .*pod\.json:1: document is not a Kubernetes object/m);
    expect(reason(r)).toBe(`celgate: no Kubernetes resources found in ${file}`);
  });
});

describe("verify", () => {
  it("refuses a folder as the receipt (exit 2), not a TypeError or its first file", () => {
    const dir = scratch();
    writeFileSync(join(dir, "a.json"), "{}\n");
    const key = join(scratch(), "key.jwk.json");
    writeFileSync(key, JSON.stringify(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" })));
    const r = celgate(["verify", dir, "manifests/good.yaml", "--key", key]);
    expect(r.code).toBe(2);
    expect(reason(r)).toBe(`celgate: ${dir}: a folder; RECEIPT is one file`);
  });
});

describe("typos that selected nothing", () => {
  it("test --run matching no case is exit 2, not 0 passed, 0 failed", () => {
    const r = celgate(["test", "policies", "--run", "no-such-case"]);
    expect(r.code).toBe(2);
    expect(reason(r)).toMatch(
      /^celgate: --run "no-such-case": no case's policy\/case name contains it \(of \d+ cases\)$/,
    );
  });

  it("explain --param for a policy the set does not have is exit 2, not ignored", () => {
    const r = celgate([
      "explain",
      "-p",
      "policies",
      "--policy",
      "min-replicas",
      "--param",
      "min-replica.min=5",
      "manifests/good.yaml",
    ]);
    expect(r.code).toBe(2);
    expect(reason(r)).toBe(
      `celgate: --param "min-replica.min=5": no policy named "min-replica" among the 2 policies of policies`,
    );
  });
});

describe("--output", () => {
  it("refuses to write the report over a manifest it reads (exit 2, the manifest kept)", () => {
    const dir = scratch();
    const file = join(dir, "pod.yaml");
    cpSync(PRIVILEGED, file);
    const before = readFileSync(file, "utf8");
    for (const flags of [
      ["--output", file],
      ["-o", "json", "--output", file],
    ]) {
      const r = celgate(["check", "-p", POLICIES, ...flags, dir]);
      expect(r.code).toBe(2);
      expect(reason(r)).toBe(
        `celgate: --output ${file}: is also an input (${file}); write it to another file`,
      );
      expect(readFileSync(file, "utf8")).toBe(before);
    }
  });

  it("refuses export vap over a policy file it reads", () => {
    const dir = scratch();
    const file = join(dir, "basic.yaml");
    cpSync(join(POLICIES, "basic.yaml"), file);
    const r = celgate(["export", "vap", "--output", file, dir]);
    expect(r.code).toBe(2);
    expect(readFileSync(file, "utf8")).toBe(readFileSync(join(POLICIES, "basic.yaml"), "utf8"));
  });

  it("leaves no partial report when the file cannot be written whole (exit 2)", () => {
    const dir = scratch();
    const out = join(dir, "report.sarif");
    // a file size limit of 1 block: the write fails with EFBIG part way
    const r = spawnSync(
      "sh",
      [
        "-c",
        'ulimit -f 1 && exec "$@"',
        "sh",
        ...NODE,
        "check",
        "-p",
        POLICIES,
        "-o",
        "sarif",
        "--output",
        out,
        PRIVILEGED,
      ],
      { cwd: fixtures, encoding: "utf8", env: ENV, timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(reason(r)).toMatch(/^celgate: --output .*report\.sarif: cannot write: EFBIG/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a reader that leaves stderr early", () => {
  it("export vap 2>&1 | head: exit 0, no crash", async () => {
    // every policy of the built-in library over Kubernetes' cost limit gets a warning line
    const child = spawn(NODE[0]!, [...NODE.slice(1), "export", "vap"], {
      cwd: fixtures,
      env: ENV,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr.once("data", () => child.stderr.destroy());
    expect(await exitCodeOf(child)).toBe(0);
  }, 90_000);
});
