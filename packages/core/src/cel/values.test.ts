import { describe, expect, it } from "vitest";
import { objectToCel, toCel } from "./values.js";

describe("the value adapter", () => {
  it("makes maps without a prototype whose keys such as __proto__ and toString are plain data", () => {
    const source = JSON.parse('{"__proto__": {"polluted": 1}, "toString": 2, "a": 1.5}');
    const value = toCel(source) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(["__proto__", "toString", "a"]);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toEqual(
      Object.assign(Object.create(null), { polluted: 1n }),
    );
    expect(value.toString).toBe(2n);
    expect(value.a).toBe(1.5);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("makes a map with a constructor key of its own a Map, in order, converted, nulls dropped alike", () => {
    const source = JSON.parse(
      '{"b": 1, "constructor": "x", "__proto__": {"c": null, "constructor": 2}, "n": null}',
    );
    const value = toCel(source) as Map<string, unknown>;
    expect(value).toBeInstanceOf(Map);
    expect([...value.keys()]).toEqual(["b", "constructor", "__proto__", "n"]);
    expect(value.get("constructor")).toBe("x");
    expect(value.get("__proto__")).toEqual(
      new Map<string, unknown>([
        ["c", null],
        ["constructor", 2n],
      ]),
    );
    const object = objectToCel(source) as Map<string, unknown>;
    expect([...object.keys()]).toEqual(["b", "constructor", "__proto__"]);
    expect(object.get("__proto__")).toEqual(new Map([["constructor", 2n]]));
    // converting again changes nothing
    expect(toCel(value)).toBe(value);
    expect(({} as { c?: unknown }).c).toBeUndefined();
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
