import { useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

export default function Audit() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const cursor = params.get("cursor") ?? undefined;
  const [page] = useLoad(
    (signal) => client.audit.list({ limit: 100, ...(cursor ? { cursor } : {}) }, { signal }),
    [client, cursor],
  );
  return (
    <section>
      <PageTitle>Audit</PageTitle>
      <Show loaded={page}>
        {(p) => (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((a) => (
                  <tr key={a.id}>
                    <td>{when(a.at)}</td>
                    <td>{a.actor}</td>
                    <td>{a.action}</td>
                    <td>
                      {a.targetKind} {a.targetName}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="pager">
              {cursor ? (
                <button type="button" onClick={() => setParams({})}>
                  Newest
                </button>
              ) : null}
              {p.nextCursor ? (
                <button type="button" onClick={() => setParams({ cursor: p.nextCursor! })}>
                  Older
                </button>
              ) : null}
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
