/**
 * Executable documentation: the shell examples of the repository's Markdown, extracted and run
 * as a reader would run them, from the repository root, against a live service.
 *
 * The convention (docs/README.md states it for writers):
 *
 * - Every fenced block tagged `sh`, `bash`, `shell` or `console` is an example that runs.
 * - A block whose first line (after a `#!` line, in a script) is `# illustrative: <why>` is not run; the test lists it as
 *   skipped with its reason. The marker without a reason is an error.
 * - A block whose first line is `# exit: N` must end with status N; every other block with 0.
 *   Blocks run with `set -e -o pipefail`: the first command that fails ends the block, and
 *   its status is the block's.
 * - `console` blocks are transcripts: `$ ` lines are commands (a line ending in `\` goes on),
 *   the lines after each one its standard output, which must match (trailing blanks aside).
 *   Standard error is not compared: it holds what a terminal shows besides the result (pnpm's
 *   own line, progress). Only the last command may fail, with the status `# exit: N` gives.
 * - The blocks of one file run in order, each in a new bash; the shell variables a block sets
 *   (`ID=$(... | jq -r .id)`) are set in the blocks after it.
 *
 * The environment of every block: `celgate` on the PATH (the built CLI, packages/cli/dist),
 * `CELGATE_URL` (the service started for the test) and `CELGATE_TOKEN` (its admin token),
 * a HOME and a policy cache of their own, and curl configured (through `CURL_HOME`) with
 * `--fail-with-body`, so that an HTTP error status fails the block (exit 22) as a reader
 * would notice it in the answer.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestService, type TestService } from "../../packages/sdk/src/testing/service.js";
import { builtCliBinary } from "./cli-binary.js";
import { repositoryRoot } from "./corpora.js";

/** Runs one block: `run-block.sh STATE BLOCK` (see the comments there). */
const RUNNER = fileURLToPath(new URL("run-block.sh", import.meta.url));

/** The fence languages that are run. */
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console"]);

export interface ShellBlock {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** The line of the opening fence, 1-based. */
  line: number;
  language: string;
  /** The block's text, without the fences and the indentation they share. */
  text: string;
  /** What its first line says: run it expecting a status, leave it out (and why), or a mistake in the marker. */
  mode: { run: true; exit: number } | { run: false; reason: string } | { run: false; problem: string };
}

/** The shell blocks of a Markdown text, in order. Never throws; a bad marker is a `problem`. */
export function shellBlocks(file: string, markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language] = open as unknown as [string, string, string, string];
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trim().startsWith(fence)) end++;
    const body = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    if (SHELL_LANGUAGES.has(language.toLowerCase())) {
      const text = `${body.join("\n")}\n`;
      // A script's `#!` line comes first; the marker is then the line after it.
      const first = body[0]?.startsWith("#!") ? body[1] : body[0];
      blocks.push({ file, line: i + 1, language: language.toLowerCase(), text, mode: marker(first ?? "") });
    }
    i = end;
  }
  return blocks;
}

function marker(first: string): ShellBlock["mode"] {
  const line = first.trim();
  const illustrative = /^#\s*illustrative\b(:?)(.*)$/i.exec(line);
  if (illustrative) {
    const reason = illustrative[2]!.trim();
    if (!illustrative[1] || !reason)
      return { run: false, problem: `"${line}": say why, as "# illustrative: <why>"` };
    return { run: false, reason };
  }
  const exit = /^#\s*exit\b(:?)\s*(.*)$/i.exec(line);
  if (exit) {
    if (!exit[1] || !/^\d{1,3}$/.test(exit[2]!))
      return { run: false, problem: `"${line}": write "# exit: N"` };
    return { run: true, exit: Number(exit[2]) };
  }
  return { run: true, exit: 0 };
}

/** The blocks of a file of the repository. */
export function shellBlocksOf(file: string): ShellBlock[] {
  return shellBlocks(file, readFileSync(join(repositoryRoot, file), "utf8"));
}

export interface BlockRun {
  code: number;
  stdout: string;
  stderr: string;
  /** console blocks: each command's output that differs from the transcript. */
  mismatches: { command: string; expected: string; actual: string }[];
}

export interface DocShell {
  service: TestService;
  /** The environment every block gets. */
  env: NodeJS.ProcessEnv;
  /** Runs the blocks of one file in order (a new variable state per file); one result per runnable block. */
  runner(): (block: ShellBlock) => Promise<BlockRun>;
  close(): Promise<void>;
}

/**
 * Starts the service (embedded PGlite, evaluator worker threads on, the built-in library) and
 * prepares the blocks' environment. Throws if the CLI is not built (`pnpm build`), or bash,
 * curl or jq is missing: the docs use them, and a docs test that skipped them would say nothing.
 */
export async function startDocShell(options: { timeoutMs?: number } = {}): Promise<DocShell> {
  // the `celgate` binary as it ships: the file its package.json names (the bundle)
  const cli = builtCliBinary();
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first (pnpm test does)`);
  for (const tool of ["bash", "curl", "jq", "pnpm"]) {
    if (!(await commandExists(tool))) throw new Error(`the docs examples need ${tool} on the PATH`);
  }
  const home = mkdtempSync(join(tmpdir(), "celgate-docs-"));
  const bin = join(home, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "celgate"), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  chmodSync(join(bin, "celgate"), 0o755);
  writeFileSync(join(home, ".curlrc"), "fail-with-body\nshow-error\n");

  const service = await startTestService({
    policyDir: join(repositoryRoot, "policies"),
    // Evaluations in a worker thread, as in production; one is enough for these examples.
    env: { CELGATE_EVALUATOR_THREADS: "1" },
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [bin, process.env.PATH].join(delimiter),
    // A home of its own: the examples may write there (shell completion scripts). pnpm keeps
    // using the corepack cache of the real home, and checks for no update.
    HOME: home,
    COREPACK_HOME: process.env.COREPACK_HOME ?? join(homedir(), ".cache", "node", "corepack"),
    npm_config_update_notifier: "false",
    CURL_HOME: home,
    CELGATE_CACHE_DIR: join(home, "cache"),
    CELGATE_URL: service.baseUrl,
    CELGATE_TOKEN: service.adminToken,
    NO_COLOR: "1",
  };
  // The CLI takes these as --server defaults: a block runs locally unless it says --server.
  delete env.CELGATE_SERVER;
  delete env.FORCE_COLOR;
  let files = 0;

  return {
    service,
    env,
    runner() {
      const dir = join(home, `file-${files++}`);
      mkdirSync(dir);
      return blockRunner({ env, dir, timeoutMs: options.timeoutMs });
    },
    async close() {
      await service.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the blocks of one file in order, in `dir` (an empty folder for its scripts and the
 * variables carried from block to block), each with `env`, from the repository root. Each run
 * resolves (never rejects) with the status and output; a block past `timeoutMs` is killed.
 */
export function blockRunner(options: {
  env: NodeJS.ProcessEnv;
  dir: string;
  timeoutMs?: number;
}): (block: ShellBlock) => Promise<BlockRun> {
  const { env, dir } = options;
  const timeout = options.timeoutMs ?? 120_000;
  const state = join(dir, "state.sh");
  writeFileSync(state, "");
  let blocks = 0;
  const bash = async (script: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    const file = join(dir, `block-${blocks++}.sh`);
    writeFileSync(file, script);
    const result = await run("bash", ["--noprofile", "--norc", RUNNER, state, file], { env, timeout });
    // The variables it set, for the next block (none if it was killed).
    if (existsSync(`${state}.next`)) writeFileSync(state, readFileSync(`${state}.next`));
    rmSync(`${state}.next`, { force: true });
    return result;
  };
  return async (block) => {
    if (!block.mode.run) throw new Error(`${block.file}:${block.line} is not run`);
    if (block.language !== "console") return { ...(await bash(block.text)), mismatches: [] };
    const mismatches: BlockRun["mismatches"] = [];
    let last = { code: 0, stdout: "", stderr: "" };
    const steps = transcript(block.text);
    if (steps.length === 0) mismatches.push({ command: "", expected: "a `$ ` command", actual: "none" });
    for (const [i, step] of steps.entries()) {
      last = await bash(`${step.command}\n`);
      const actual = tidy(last.stdout);
      if (actual !== tidy(step.output))
        mismatches.push({ command: step.command, expected: tidy(step.output), actual });
      if (last.code !== 0 && i < steps.length - 1) {
        // Only the last command may fail (as "# exit: N" says); the rest are not run.
        mismatches.push({ command: step.command, expected: "status 0", actual: `status ${last.code}` });
        break;
      }
    }
    return { ...last, mismatches };
  };
}

/** A console block's commands (`$ ` lines, with `\` continuations) and the output shown after each. */
export function transcript(text: string): { command: string; output: string }[] {
  const steps: { command: string; output: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("$ ")) {
      let command = line.slice(2);
      while (command.endsWith("\\") && i + 1 < lines.length) command = `${command}\n${lines[++i]}`;
      steps.push({ command, output: "" });
    } else if (steps.length > 0) {
      steps[steps.length - 1]!.output += `${line}\n`;
    } else if (!line.startsWith("#") && line.trim()) {
      steps.push({ command: "", output: `${line}\n` }); // output before any command: a mismatch below
    }
  }
  return steps;
}

/** Trailing spaces and blank lines do not count. */
const tidy = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trim();

function commandExists(tool: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${tool}`], { env: process.env, timeout: 10_000 }).then(
    (r) => r.code === 0,
  );
}

/**
 * Runs a process asynchronously (the service answers from this very process) in a process
 * group of its own, killed whole past the timeout; never rejects.
 */
function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; timeout: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repositoryRoot, env: options.env, detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, options.timeout);
    const done = (code: number, note = "") => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + note,
      });
    };
    child.on("error", (error) => done(127, `\n${error.message}`));
    child.on("close", (code, signal) =>
      killed
        ? done(124, `\n(killed after ${options.timeout} ms)`)
        : done(code ?? (signal ? 128 : 1), signal ? `\n(ended by ${signal})` : ""),
    );
  });
}
