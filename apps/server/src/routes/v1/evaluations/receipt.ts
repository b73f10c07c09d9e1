import { DSSE_MEDIA_TYPE, DsseEnvelopeSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, errorResponse, READ } from "../../../lib/route.js";

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/evaluations/{id}/receipt",
    tags: ["evaluations", "receipts"],
    summary: "The signed receipt of a recorded evaluation (DSSE envelope of an in-toto statement)",
    description:
      "The same envelope as the report's `receipt`. Verify it offline with `celgate verify` or the SDK's `verifyReceipt` (docs/receipts.md).",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: "The receipt", content: { [DSSE_MEDIA_TYPE]: { schema: DsseEnvelopeSchema } } },
      404: errorResponse("No such evaluation, or one recorded before receipts"),
    },
  },
  handler: async (c, s) => {
    const envelope = await s.receipts.get(c.req.param("id")!);
    return c.body(JSON.stringify(envelope), 200, { "Content-Type": DSSE_MEDIA_TYPE });
  },
});
