// Each list page declares its filters as data (components/list.tsx); here they are held to the
// query schemas of the routes they call, so a filter the API gains or renames shows up as a
// failure instead of going missing from the console.
import {
  AuditListQuerySchema,
  EvaluationListQuerySchema,
  ExceptionListQuerySchema,
  FindingListQuerySchema,
  ImageListQuerySchema,
  InventoryListQuerySchema,
} from "@celgate/contracts";
import { describe, expect, it } from "vitest";
import type { Filter } from "../components/list.js";
import { FILTERS as AUDIT } from "./audit.js";
import { FILTERS as EXCEPTIONS } from "./exceptions.js";
import { FILTERS as FINDINGS } from "./findings.js";
import { FILTERS as HISTORY } from "./history.js";
import { FILTERS as IMAGES } from "./images.js";
import { FILTERS as INVENTORY } from "./inventory.js";

const names = (filters: readonly Filter[]) => filters.map((f) => f.name).sort();
const keys = (schema: { shape: object }, ...leaveOut: string[]) =>
  Object.keys(schema.shape)
    .filter((k) => !leaveOut.includes(k))
    .sort();

describe("the console's list filters", () => {
  it("offer every filter of the route each page lists, under the API's names", () => {
    // history's `context.<key>` parameters are one `pairs` filter named `context`
    expect(names(HISTORY)).toEqual([...keys(EvaluationListQuerySchema), "context"].sort());
    expect(HISTORY.find((f) => f.name === "context")?.kind).toBe("pairs");
    expect(names(AUDIT)).toEqual(keys(AuditListQuerySchema));
    expect(names(FINDINGS)).toEqual(keys(FindingListQuerySchema));
    // `object` asks for each entry's object: a choice of payload, not a filter
    expect(names(INVENTORY)).toEqual(keys(InventoryListQuerySchema, "object"));
    expect(names(IMAGES)).toEqual(keys(ImageListQuerySchema));
    expect(names(EXCEPTIONS)).toEqual(keys(ExceptionListQuerySchema));
  });

  it("offer as choices exactly the values the API takes", () => {
    const values = (filters: readonly Filter[], name: string) => {
      const f = filters.find((x) => x.name === name);
      if (f?.kind !== "select") throw new Error(`${name} is not a select`);
      return f.options.map((o) => (typeof o === "string" ? o : o.value));
    };
    expect(values(HISTORY, "decision")).toEqual(EvaluationListQuerySchema.shape.decision.unwrap().options);
    expect(values(HISTORY, "source")).toEqual(EvaluationListQuerySchema.shape.source.unwrap().options);
    expect(values(AUDIT, "targetKind")).toEqual(AuditListQuerySchema.shape.targetKind.unwrap().options);
    expect(values(FINDINGS, "cause")).toEqual(FindingListQuerySchema.shape.cause.unwrap().options);
    expect(values(FINDINGS, "severity")).toEqual(FindingListQuerySchema.shape.severity.unwrap().options);
    for (const status of values(FINDINGS, "status"))
      expect(FindingListQuerySchema.shape.status.safeParse(status).success, status).toBe(true);
    // durations the API reads
    for (const [filters, name, schema] of [
      [IMAGES, "stale", ImageListQuerySchema],
      [EXCEPTIONS, "expiring", ExceptionListQuerySchema],
    ] as const)
      for (const v of values(filters, name))
        expect(schema.safeParse({ [name]: v }).success, `${name}=${v}`).toBe(true);
  });
});
