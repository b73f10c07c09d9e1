import { describe, expect, it } from "vitest";
import { fromBase64, pae, toBase64 } from "./dsse.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

describe("DSSE pre-authentication encoding", () => {
  it("matches the example of the DSSE protocol", () => {
    expect(text(pae("http://example.com/HelloWorld", bytes("hello world")))).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("counts bytes, not characters", () => {
    expect(text(pae("t", bytes("é✓")))).toBe("DSSEv1 1 t 5 é✓");
    expect(text(pae("", new Uint8Array()))).toBe("DSSEv1 0  0 ");
  });
});

describe("base64", () => {
  it("round-trips any bytes, and reads URL-safe and unpadded text too", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64(toBase64(all))).toEqual(all);
    expect(toBase64(bytes("hi?"))).toBe("aGk/");
    expect(fromBase64("aGk_")).toEqual(bytes("hi?"));
    expect(fromBase64("aGk")).toEqual(bytes("hi"));
    expect(toBase64(new Uint8Array(100_000)).length).toBe(133_336);
  });

  it("returns null for text that is not base64", () => {
    for (const junk of ["a", "a b", "@@@@", "aGk=x", "====="]) expect(fromBase64(junk), junk).toBeNull();
  });
});
