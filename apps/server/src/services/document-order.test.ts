import { parsePolicyDocuments } from "@celgate/core";
import { describe, expect, it } from "vitest";
import { inAuthorOrder, inOrderOf, inSchemaOrder } from "./document-order.js";

const keys = (v: unknown) => JSON.stringify(v);

describe("inOrderOf", () => {
  it("orders every mapping as the template's, lists item by item, and puts keys the template lacks last", () => {
    const value = { c: 3, a: { y: [{ q: 1, p: 2 }], x: 1 }, b: 2, added: true };
    const order = { a: { x: 0, y: [{ p: 0, q: 0 }] }, b: 0, c: 0 };
    expect(keys(inOrderOf(value, order))).toBe(
      keys({ a: { x: 1, y: [{ p: 2, q: 1 }] }, b: 2, c: 3, added: true }),
    );
  });

  it("keeps a __proto__ key a key (a label may be named so), and adds or drops nothing", () => {
    const value = JSON.parse('{"labels": {"b": "1", "__proto__": "2"}}');
    const ordered = inOrderOf(value, JSON.parse('{"labels": {"__proto__": "", "b": ""}, "extra": 1}'));
    expect(JSON.stringify(ordered)).toBe('{"labels":{"__proto__":"2","b":"1"}}');
    expect(Object.getPrototypeOf(ordered.labels)).toBe(Object.prototype);
  });
});

describe("inAuthorOrder", () => {
  it("gives each parsed document of a text its author's order, the schema's defaults after", () => {
    const text = `spec:\n  validations: [{message: m, expression: "true"}]\n  action: warn\nmetadata: {name: p}\nkind: Policy\napiVersion: celgate.dev/v1\n---\nkind: Policy\napiVersion: celgate.dev/v1\nmetadata: {name: q}\nspec:\n  validations: [{expression: "true"}]\n`;
    const [p, q] = inAuthorOrder(text, undefined, parsePolicyDocuments(text).located.policies);
    expect(keys(p?.doc)).toBe(
      keys({
        spec: {
          validations: [{ message: "m", expression: "true" }],
          action: "warn",
          severity: "medium",
          failurePolicy: "Fail",
        },
        metadata: { name: "p" },
        kind: "Policy",
        apiVersion: "celgate.dev/v1",
      }),
    );
    expect(Object.keys(q?.doc ?? {})).toEqual(["kind", "apiVersion", "metadata", "spec"]);
  });
});

describe("inSchemaOrder", () => {
  it("orders a stored document as its schema declares it, and the top level of one the schema refuses", () => {
    const stored = {
      kind: "Policy",
      spec: { validations: [{ message: "m", expression: "true" }], severity: "low" },
      metadata: { name: "p" },
      apiVersion: "celgate.dev/v1",
    };
    expect(keys(inSchemaOrder(stored, "Policy"))).toBe(
      keys({
        apiVersion: "celgate.dev/v1",
        kind: "Policy",
        metadata: { name: "p" },
        spec: { severity: "low", validations: [{ expression: "true", message: "m" }] },
      }),
    );
    const refused = { ...stored, spec: { unknown: 1 } };
    expect(Object.keys(inSchemaOrder(refused, "Policy"))).toEqual(["apiVersion", "kind", "metadata", "spec"]);
  });
});
