import { ROLES } from "@celgate/contracts";
import type { CreatedToken, Role, Token } from "@celgate/sdk";
import { type FormEvent, useState } from "react";
import { ErrorBox, PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { when } from "../lib/format.js";
import { useSession } from "../session.js";

const NO_FILTERS = [] as const satisfies readonly Filter[];

const load: ListViewProps<Token, typeof NO_FILTERS>["load"] = (client, q, signal) =>
  client.tokens.list({ limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) }, { signal });

export default function Tokens() {
  const { client } = useSession();
  // each change loads the list again
  const [round, setRound] = useState(0);
  const reload = () => setRound((r) => r + 1);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    try {
      setCreated(
        await client.tokens.create({
          name: String(form.get("name")),
          role: String(form.get("role")) as Role,
        }),
      );
      reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: readonly Column<Token>[] = [
    { header: "Name", rowHeader: true, cell: (t) => t.name },
    { header: "Role", cell: (t) => t.role },
    { header: "Created", cell: (t) => `${when(t.createdAt)} by ${t.createdBy}` },
    { header: "Last used", cell: (t) => when(t.lastUsedAt) },
    { header: "Expires", cell: (t) => when(t.expiresAt) },
    {
      header: "State",
      cell: (t) =>
        t.revokedAt ? (
          `revoked ${when(t.revokedAt)}`
        ) : (
          <button
            type="button"
            onClick={() => client.tokens.revoke(t.id).then(reload, (err: unknown) => setError(err))}
          >
            Revoke <Literal text={t.name} />
          </button>
        ),
    },
  ];
  return (
    <section>
      <PageTitle>Tokens</PageTitle>
      <form className="filters" onSubmit={create} aria-label="New token">
        <label>
          Name
          <input name="name" required maxLength={100} />
        </label>
        <label>
          Role
          <select name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
      {created ? (
        <div className="notice" role="status">
          Token for <Literal text={created.name} />: <code>{created.token}</code> — shown this once; store it
          now.
        </div>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <ListView
        noun="tokens"
        caption="API tokens"
        filters={NO_FILTERS}
        columns={columns}
        load={load}
        rowKey={(t) => t.id}
        empty="No token is stored."
        refresh={round}
      />
    </section>
  );
}
