import { describe, expect, it } from "vitest";
import { objectToCel, toCel } from "./values.js";

describe("the value adapter", () => {
  it("makes maps without a prototype whose keys such as __proto__ and constructor are plain data", () => {
    const source = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "x", "toString": 2, "a": 1.5}');
    const value = toCel(source) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(["__proto__", "constructor", "toString", "a"]);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toEqual(
      Object.assign(Object.create(null), { polluted: 1n }),
    );
    expect(value.constructor).toBe("x");
    expect(value.toString).toBe(2n);
    expect(value.a).toBe(1.5);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("turns whole numbers into ints and, for Kubernetes objects, drops null fields", () => {
    const value = objectToCel({ spec: { replicas: 3, volumes: null, ratio: 0.5, list: [1, null] } }) as {
      spec: Record<string, unknown>;
    };
    expect(value.spec).toEqual(
      Object.assign(Object.create(null), { replicas: 3n, ratio: 0.5, list: [1n, null] }),
    );
    expect("volumes" in value.spec).toBe(false);
  });
});
