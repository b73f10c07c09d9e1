import type { InventoryQuery } from "@celgate/sdk";
import { type FormEvent, useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

/** The text filters of GET /v1/inventory, each a query parameter of this page's URL. */
const TEXT_FIELDS = ["cluster", "namespace", "kind", "name", "image"] as const;

export default function Inventory() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => {
    const q: InventoryQuery = { limit: 50 };
    for (const k of TEXT_FIELDS) if (params.get(k)) q[k] = params.get(k)!;
    if (params.get("failing") === "true") q.failing = true;
    if (params.get("cursor")) q.cursor = params.get("cursor")!;
    return q;
  }, [params]);
  const [page] = useLoad((signal) => client.inventory.list(query, { signal }), [client, query]);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of TEXT_FIELDS) {
      const v = String(form.get(k) ?? "").trim();
      if (v) next.set(k, v);
    }
    if (form.get("failing")) next.set("failing", "true");
    setParams(next);
  };
  const text = (k: string) => params.get(k) ?? "";
  return (
    <section>
      <PageTitle>Inventory</PageTitle>
      <p className="muted">
        What is deployed, as the service last saw it admitted: from admission reviews, and from evaluations
        whose context states a cluster and <code>deployed=true</code>.
      </p>
      <form className="filters" onSubmit={submit} aria-label="Filter the inventory" key={params.toString()}>
        {TEXT_FIELDS.map((k) => (
          <label key={k}>
            {k[0]!.toUpperCase() + k.slice(1)}
            <input name={k} defaultValue={text(k)} size={16} />
          </label>
        ))}
        <label>
          <input type="checkbox" name="failing" defaultChecked={text("failing") === "true"} /> Failing a
          policy
        </label>
        <div className="actions">
          <button type="submit">Filter</button>
        </div>
      </form>
      <Show loaded={page}>
        {(p) => (
          <>
            <table>
              <caption className="visually-hidden">Deployed objects</caption>
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Namespace</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Name</th>
                  <th scope="col">Images</th>
                  <th scope="col">Failing</th>
                  <th scope="col">Evaluated</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((e) => (
                  <tr key={`${e.cluster}|${e.namespace}|${e.kind}|${e.name}`}>
                    <td>{e.cluster}</td>
                    <td>{e.namespace ?? "—"}</td>
                    <td>{e.kind}</td>
                    <td>
                      {e.evaluationId ? (
                        <Link to={`/evaluations/${encodeURIComponent(e.evaluationId)}`}>{e.name}</Link>
                      ) : (
                        e.name
                      )}
                    </td>
                    <td>{e.images.join(", ")}</td>
                    <td>{e.failing.length ? e.failing.join(", ") : "—"}</td>
                    <td>{when(e.evaluatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.items.length === 0 ? <p>Nothing deployed matches.</p> : null}
            <div className="pager">
              {p.nextCursor ? (
                <button
                  type="button"
                  onClick={() => {
                    const next = new URLSearchParams(params);
                    next.set("cursor", p.nextCursor!);
                    setParams(next);
                  }}
                >
                  Next page
                </button>
              ) : null}
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
