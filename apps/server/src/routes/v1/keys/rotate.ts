import { KeyRotationSchema } from "@celgate/contracts";
import { ADMIN, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "post",
    path: "/v1/keys:rotate",
    tags: ["receipts"],
    summary: "Start signing receipts with a new generated key; the old public key stays published",
    description:
      "Recorded in the audit log. Other replicas take the new key within a minute. Refused (409) when the key comes from CELGATE_SIGNING_KEY: point it at a new key file and restart instead.",
    responses: {
      201: jsonContent(KeyRotationSchema, "The new key id and the one it replaced"),
      409: errorResponse("The signing key comes from CELGATE_SIGNING_KEY"),
    },
  },
  handler: async (c, s) => c.json(await s.receipts.keys.rotate(c.get("principal").name), 201),
});
