import { describe, expect, it } from "vitest";
import { responseViolation, routeFor } from "./responses.js";

// The checker the harness puts on every app: it must be able to say no, or the route tests
// that pass through it prove nothing about the declared responses.

const problem = JSON.stringify({ type: "t", title: "Not found", status: 404, requestId: "r" });

describe("the response checker", () => {
  it("finds the route the router would pick", () => {
    expect(routeFor("POST", "/v1/policies:validate")?.openapi.path).toBe("/v1/policies:validate");
    expect(routeFor("GET", "/v1/policies/web")?.openapi.path).toBe("/v1/policies/{name}");
    expect(routeFor("GET", "/v1/policies/web/versions/2")?.openapi.path).toBe(
      "/v1/policies/{name}/versions/{n}",
    );
    expect(routeFor("PATCH", "/v1/policies/web")).toBeUndefined();
    expect(routeFor("GET", "/v1/nope")).toBeUndefined();
  });

  it("refuses an undeclared status, an undeclared media type and a body its schema refuses", () => {
    const get = routeFor("GET", "/v1/policies/web");
    expect(responseViolation(get, 404, "application/problem+json", problem)).toBeUndefined();
    expect(responseViolation(get, 418, "application/problem+json", problem)).toMatch(/418 is not declared/);
    expect(responseViolation(get, 404, "text/html", "<p>")).toMatch(/declares application\/problem\+json/);
    expect(responseViolation(get, 200, "application/json", JSON.stringify({ name: "web" }))).toMatch(
      /version/,
    );
    expect(responseViolation(get, 200, "application/json", "{")).toMatch(/not JSON/);
    const remove = routeFor("DELETE", "/v1/policies/web");
    expect(responseViolation(remove, 204, null, "")).toBeUndefined();
    expect(responseViolation(remove, 204, "application/json", "{}")).toMatch(/declares no body/);
  });

  it("accepts only a problem where no route answers", () => {
    expect(responseViolation(undefined, 404, "application/problem+json", problem)).toBeUndefined();
    expect(responseViolation(undefined, 404, "application/problem+json", "{}")).toMatch(/type/);
    expect(responseViolation(undefined, 200, "application/json", "{}")).toMatch(/not a problem/);
  });
});
