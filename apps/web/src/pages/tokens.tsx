import type { CreatedToken, Role } from "@celgate/sdk";
import { type FormEvent, useState } from "react";
import { ErrorBox, PageTitle, Show } from "../components/common.js";
import { when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

export default function Tokens() {
  const { client } = useSession();
  const [page, reload] = useLoad((signal) => client.tokens.list({ limit: 500 }, { signal }), [client]);
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
            <option>viewer</option>
            <option>evaluator</option>
            <option>author</option>
            <option>admin</option>
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
      {created ? (
        <div className="notice" role="status">
          Token for {created.name}: <code>{created.token}</code> — shown this once; store it now.
        </div>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <Show loaded={page}>
        {(p) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {p.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td>
                    {when(t.createdAt)} by {t.createdBy}
                  </td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>{when(t.expiresAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      `revoked ${when(t.revokedAt)}`
                    ) : (
                      <button
                        type="button"
                        onClick={() =>
                          client.tokens.revoke(t.id).then(reload, (err: unknown) => setError(err))
                        }
                      >
                        Revoke {t.name}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </section>
  );
}
