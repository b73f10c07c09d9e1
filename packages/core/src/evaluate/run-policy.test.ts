import { describe, expect, it } from "vitest";
import { capMessage, MAX_MESSAGE_BYTES } from "./run-policy.js";

describe("capMessage", () => {
  const bytes = (text: string) => new TextEncoder().encode(text).length;

  it("keeps messages within 5 KiB as they are", () => {
    const text = "é".repeat(MAX_MESSAGE_BYTES / 2);
    expect(capMessage(text)).toBe(text);
  });

  it("cuts longer ones to 5 KiB of UTF-8 at a character boundary", () => {
    const capped = capMessage("✓".repeat(MAX_MESSAGE_BYTES)); // 3 bytes each
    expect(bytes(capped)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(capped.endsWith("... (truncated)")).toBe(true);
    expect(capped.replace("... (truncated)", "")).toMatch(/^✓+$/);
    const emoji = capMessage("😀".repeat(MAX_MESSAGE_BYTES));
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no half surrogate
  });
});
