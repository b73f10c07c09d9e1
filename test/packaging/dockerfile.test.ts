// The Dockerfile cannot be built here (no container engine), so this test lints it and runs
// its build logic without a container: it reads the instructions, checks what the runtime
// stage promises (distroless, no shell needed, a numeric non-root user matching deploy/,
// exec-form command), then performs the build stage's deploy step into a temporary folder laid
// out like the image and starts the service there with the image's environment.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifests } from "@celgate/core";
import { afterAll, describe, expect, it } from "vitest";
import { loadLibrary } from "../../policies/library.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions with continuation lines joined; comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const start = i + 1;
    while (line.endsWith("\\") && i + 1 < lines.length)
      line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    const space = line.search(/\s/);
    out.push({
      keyword: line.slice(0, space).toUpperCase(),
      args: line.slice(space + 1).trim(),
      line: start,
    });
  }
  return out;
}

const dockerfile = instructions(readFileSync(join(root, "Dockerfile"), "utf8"));
const stages: Instruction[][] = [];
for (const ins of dockerfile) {
  if (ins.keyword === "FROM") stages.push([]);
  stages.at(-1)?.push(ins);
}
const runtime = stages.at(-1) ?? [];
/** ENV of the runtime stage, in both `K=V K2=V2` and `K V` forms. */
const env: Record<string, string> = {};
for (const ins of runtime.filter((i) => i.keyword === "ENV")) {
  const pairs = ins.args.match(/(\w+)=("[^"]*"|\S+)/g);
  if (pairs)
    for (const p of pairs)
      env[p.slice(0, p.indexOf("="))] = p.slice(p.indexOf("=") + 1).replace(/^"|"$/g, "");
  else env[ins.args.split(/\s+/)[0]!] = ins.args.split(/\s+/).slice(1).join(" ");
}
const deployment = parseManifests(
  readFileSync(join(root, "deploy/deployment.yaml"), "utf8"),
  "deployment.yaml",
).resources[0]!.object as {
  spec: {
    template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } };
  };
};
const pod = deployment.spec.template.spec;

describe("Dockerfile", () => {
  it("builds in one stage and runs on a distroless image that needs no shell", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime[0]!.args).toMatch(/^gcr\.io\/distroless\/nodejs20-debian12(:|@)/);
    // Nothing in the runtime stage runs a command inside the image (distroless has no shell).
    expect(runtime.filter((i) => ["RUN", "SHELL"].includes(i.keyword))).toEqual([]);
    const cmd = runtime.find((i) => i.keyword === "CMD");
    expect(() => JSON.parse(cmd!.args)).not.toThrow();
    // Every base image is named with a tag or a digest, never implicitly `latest`.
    for (const stage of stages) expect(stage[0]!.args.split(/\s+/)[0]).toMatch(/[:@]/);
  });

  it("runs as the numeric non-root user that deploy/ runs the pod as", () => {
    const user = runtime.find((i) => i.keyword === "USER")?.args;
    expect(user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = user!.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    const container = pod.containers[0] as {
      securityContext: Record<string, unknown>;
      ports: { containerPort: number }[];
    };
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(String(container.ports[0]!.containerPort)).toBe(env.PORT);
  });
});

describe("the image's layout, built without a container", () => {
  let image: string;
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill("SIGKILL");
    if (image) rmSync(image, { recursive: true, force: true });
  });

  it("serves with the built-in library from the paths and environment the Dockerfile sets", async () => {
    image = mkdtempSync(join(tmpdir(), "celgate-image-"));
    const at = (path: string) => join(image, path);
    // The build stage's deploy step, and the copies of the runtime stage.
    execFileSync("pnpm", ["--filter", "@celgate/server", "deploy", "--prod", at("app")], {
      cwd: root,
      stdio: "pipe",
    });
    cpSync(join(root, "apps/web/dist"), at("console"), { recursive: true });
    cpSync(join(root, "policies"), at("policies"), { recursive: true, filter: (s) => !s.endsWith(".ts") });
    mkdirSync(at("data"));
    const cmd = JSON.parse(runtime.find((i) => i.keyword === "CMD")!.args) as string[];
    const mapped = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v.startsWith("/") ? at(v) : v]),
    );
    server = spawn(
      process.execPath,
      cmd.map((a) => (a.startsWith("/") ? at(a) : a)),
      {
        env: {
          PATH: process.env.PATH,
          ...mapped,
          PORT: "0",
          HOST: "127.0.0.1",
          CELGATE_ADMIN_TOKEN: "image-test-token-0123456789",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(() => reject(new Error(`the service did not start:\n${log}`)), 60_000);
      server!.stdout!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        const m = /"port":(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      server!.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
      });
      server!.once("exit", (code) => reject(new Error(`the service exited with ${code}:\n${log}`)));
    });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", policies: loadLibrary().policies.length });
    // the console from the image's copy, and the API reference's script from the deployed dist/
    // asked for as a browser navigating asks (the page answers navigations only,
    // docs/console.md); Node's fetch always says `sec-fetch-mode: cors`, so node:http
    const page = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      httpGet(
        `http://127.0.0.1:${port}/history`,
        { headers: { "sec-fetch-mode": "navigate", accept: "text/html" } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      ).on("error", reject);
    });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<div id="root">/);
    const docs = await (await fetch(`http://127.0.0.1:${port}/docs`)).text();
    const script = /<script src="(\/docs\/assets\/[^"]+)"/.exec(docs)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}${script}`)).status).toBe(200);
  }, 120_000);
});
