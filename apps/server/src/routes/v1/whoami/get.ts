import { WhoamiSchema } from "@celgate/contracts";
import { actionsOf, defineRoute, jsonContent, READ } from "../../../lib/route.js";

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/whoami",
    tags: ["tokens"],
    summary: "The calling token: its id, name, role and what it may do",
    description:
      "`id` is the token's id as `GET /v1/tokens` lists it (a client tells its own token apart by it: names are not unique). `actions` names the kinds of route the role may call (`read`, `evaluate`, `validate`, `author`, `admin`), from the same role lists the routes enforce. A console uses it to hide what the token may not do; every route still checks.",
    responses: { 200: jsonContent(WhoamiSchema, "The token") },
  },
  handler: (c) => {
    const { tokenId, name, role } = c.get("principal");
    return c.json({ id: tokenId, name, role, actions: actionsOf(role) }, 200);
  },
});
