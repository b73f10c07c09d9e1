import { PageTitle, Show } from "../components/common.js";
import { relative, when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

export default function Exceptions() {
  const { client } = useSession();
  const [page] = useLoad((signal) => client.exceptions.list({ limit: 500 }, { signal }), [client]);
  return (
    <section>
      <PageTitle>Exceptions</PageTitle>
      <Show loaded={page}>
        {(p) =>
          p.items.length === 0 ? (
            <p>No exception is stored.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Policies</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((x) => {
                  const spec = x.document.spec as { policies?: string[]; reason?: string };
                  return (
                    <tr key={x.name} className={x.expired ? "expired" : undefined}>
                      <td>{x.name}</td>
                      <td>{(spec.policies ?? []).join(", ")}</td>
                      <td>
                        {when(x.expires)} ({x.expired ? "expired" : relative(x.expires)})
                      </td>
                      <td>{spec.reason}</td>
                      <td>
                        {when(x.updatedAt)} by {x.updatedBy}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}
