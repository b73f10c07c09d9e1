import { ReplayReportSchema, ReplayRequestSchema } from "@celgate/contracts";
import { AUTHOR, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "post",
    path: "/v1/replays",
    tags: ["replays"],
    summary: "Replay recorded inputs against candidate policies",
    description:
      "Candidate policies replace those of the same name in the set in force (`remove` drops some); the result lists every (resource, policy) whose outcome would change and every decision that would change. Runs on the stored inputs, whose secret values are redacted markers; records no evaluation but writes an audit row (`replay.run`). One replay at a time per instance (429 otherwise); past CELGATE_REPLAY_TIMEOUT_MS it stops with 503.",
    request: { body: { required: true, content: { "application/json": { schema: ReplayRequestSchema } } } },
    responses: {
      200: jsonContent(ReplayReportSchema, "What would change"),
      404: errorResponse("A chosen evaluation does not exist"),
      422: errorResponse(
        "Candidates do not compile, or a recorded evaluation's stored input no longer reads (the detail names it)",
      ),
      429: errorResponse("A replay is already running on this instance"),
      503: errorResponse("The replay passed its time limit"),
    },
  },
  handler: async (c, s) => {
    return c.json(await s.replays.replay(c.get("principal"), c.req.valid("json")), 200);
  },
});
