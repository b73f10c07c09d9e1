import { describe, expect, it } from "vitest";
import { parseShell, shellQuote } from "./shell.js";

const words = (script: string) => parseShell(script)?.commands.map((c) => c.map((w) => w.value));

describe("parseShell", () => {
  it("splits commands at operators and new lines, removes quotes, drops redirections", () => {
    expect(words(`a -p"x y" 'z'\\ w && b | c; d 2>&1 > out\ne # comment`)).toEqual([
      ["a", "-px y", "z w"],
      ["b"],
      ["c"],
      ["d"],
      ["e"],
    ]);
  });

  it("maps each character of a word to where it came from", () => {
    const script = `mysql -p"se'cret"`;
    const w = parseShell(script)!.commands[0]![1]!;
    expect(w.value).toBe("-pse'cret");
    expect(w.map.map((i) => script[i]).join("")).toBe(w.value);
    expect(script.slice(w.start, w.end)).toBe(`-p"se'cret"`);
  });

  it("reads the commands inside $(...) and backquotes, keeps parameter and arithmetic expansions as written", () => {
    const parameter = ["$", "{HOME:-/}"].join(""); // shell text, not a template
    expect(words(`echo $(curl -u a:b x) \`id -u\` ${parameter} $((1+2))`)).toEqual([
      ["curl", "-u", "a:b", "x"],
      ["id", "-u"],
      ["echo", "$(curl -u a:b x)", "`id -u`", parameter, "$((1+2))"],
    ]);
  });

  it("keeps here-document bodies apart, as text", () => {
    const script = "cat <<-EOF > f\n\tpassword=x\n\tEOF\necho done";
    const parsed = parseShell(script)!;
    expect(parsed.commands.map((c) => c.map((w) => w.value))).toEqual([["cat"], ["echo", "done"]]);
    expect(parsed.texts.map((t) => script.slice(t.start, t.end))).toEqual(["\tpassword=x\n"]);
  });

  it("refuses unterminated quotes and substitutions and deep nesting", () => {
    for (const script of [
      "echo 'x",
      'echo "x',
      "echo $(x",
      "echo `x",
      "echo ${x",
      `${"$(".repeat(40)}x${")".repeat(40)}`,
    ])
      expect(parseShell(script), script).toBeNull();
  });

  it("quotes words that need it", () => {
    expect(shellQuote("-pabc")).toBe("-pabc");
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(words(`x ${shellQuote("a b'c")}`)).toEqual([["x", "a b'c"]]);
  });
});
