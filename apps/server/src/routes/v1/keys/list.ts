import { JwksSchema } from "@celgate/contracts";
import { defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: "public",
  openapi: {
    method: "get",
    path: "/v1/keys",
    tags: ["receipts"],
    summary: "The public keys of decision receipts (JWKS, Ed25519), without authentication",
    description:
      "Every key receipts were or are signed with, oldest first: a rotation adds a key and keeps the old ones, so old receipts still verify. Pin these keys in the deploy job (docs/receipts.md).",
    responses: { 200: jsonContent(JwksSchema, "The keys") },
  },
  handler: async (c, s) => {
    const jwks = await s.receipts.keys.jwks();
    return c.json(jwks, 200, { "Cache-Control": "public, max-age=60" });
  },
});
