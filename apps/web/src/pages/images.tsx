import type { ImageSummary, StoredImage } from "@celgate/sdk";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { age, relative, when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

/** The `stale` choices of the list: scans older than this, or none. */
const STALE = ["1d", "7d", "30d"] as const;

const counts = (s: ImageSummary["summary"]) =>
  s ? `${s.critical} critical, ${s.high} high, ${s.medium} medium, ${s.low} low` : "no scan";

export default function Images() {
  const [params] = useSearchParams();
  const key = params.get("digest");
  return (
    <section>
      <PageTitle>Images</PageTitle>
      <p className="muted">
        Facts are stored per image digest (or name and tag for a scan of a tag). Select an image for its
        vulnerabilities and signatures.
      </p>
      {key ? <ImageFacts digest={key} /> : <ImageList />}
    </section>
  );
}

function ImageList() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const stale = params.get("stale") ?? "";
  const repository = params.get("repository") ?? "";
  const cursor = params.get("cursor") ?? "";
  const [page] = useLoad(
    (signal) =>
      client.images.list(
        {
          limit: 50,
          ...(stale ? { stale } : {}),
          ...(repository ? { repository } : {}),
          ...(cursor ? { cursor } : {}),
        },
        { signal },
      ),
    [client, stale, repository, cursor],
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of ["stale", "repository"]) {
      const v = String(form.get(k) ?? "").trim();
      if (v) next.set(k, v);
    }
    setParams(next);
  };
  return (
    <>
      <form className="filters" onSubmit={submit} aria-label="Filter images" key={params.toString()}>
        <label>
          Scan
          <select name="stale" defaultValue={stale}>
            <option value="">any</option>
            {STALE.map((d) => (
              <option key={d} value={d}>
                older than {d}, or none
              </option>
            ))}
          </select>
        </label>
        <label>
          Repository
          <input
            name="repository"
            defaultValue={repository}
            placeholder="registry.example/shop/web"
            size={40}
          />
        </label>
        <div className="actions">
          <button type="submit">Filter</button>
        </div>
      </form>
      <form
        className="filters"
        aria-label="Look up an image"
        onSubmit={(e) => {
          e.preventDefault();
          const digest = String(new FormData(e.currentTarget).get("digest") ?? "").trim();
          if (digest) setParams({ digest });
        }}
      >
        <label>
          Digest or name:tag
          <input name="digest" size={60} required />
        </label>
        <button type="submit">Look up</button>
      </form>
      <Show loaded={page}>
        {(p) => (
          <>
            <table>
              <caption className="visually-hidden">Stored image facts, by key</caption>
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Vulnerabilities</th>
                  <th scope="col">Scanned</th>
                  <th scope="col">Signatures</th>
                  <th scope="col">Stored</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((i) => (
                  <tr key={i.key}>
                    <td>
                      <Link to={`/images?digest=${encodeURIComponent(i.key)}`}>{i.ref}</Link>
                    </td>
                    <td>{counts(i.summary)}</td>
                    <td>
                      {i.scannedAt && i.scanAgeSeconds !== null
                        ? `${age(i.scanAgeSeconds)} ago${i.scanner ? ` (${i.scanner})` : ""}`
                        : "never"}
                    </td>
                    <td>
                      {i.verifiedSignatures} verified of {i.signatures}
                    </td>
                    <td>{when(i.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.items.length === 0 ? <p>No image matches.</p> : null}
            <div className="pager">
              {cursor ? (
                <button
                  type="button"
                  onClick={() => {
                    const next = new URLSearchParams(params);
                    next.delete("cursor");
                    setParams(next);
                  }}
                >
                  First page
                </button>
              ) : null}
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
    </>
  );
}

function ImageFacts({ digest }: { digest: string }) {
  const { client } = useSession();
  const [loaded] = useLoad((signal) => client.images.get(digest, { signal }), [client, digest]);
  return (
    <>
      <p>
        <Link to="/images">All images</Link>
      </p>
      <Show loaded={loaded}>{(image) => <Facts image={image} />}</Show>
    </>
  );
}

function Facts({ image }: { image: StoredImage }) {
  const f = image.facts;
  return (
    <>
      {f ? (
        <>
          <h2>{f.ref}</h2>
          <dl className="facts">
            <dt>Stored</dt>
            <dd>
              {when(image.updatedAt)} by {image.updatedBy}
            </dd>
            <dt>Scan</dt>
            <dd>
              {f.scan
                ? `${f.scan.scanner ?? "unknown scanner"}, ${f.scan.scannedAt ? `${relative(f.scan.scannedAt)}` : "no date"}`
                : "none"}
            </dd>
            <dt>Vulnerabilities</dt>
            <dd>
              {f.scan
                ? `${f.scan.summary.critical} critical, ${f.scan.summary.high} high, ${f.scan.summary.medium} medium, ${f.scan.summary.low} low (fixable: ${f.scan.fixable.critical} critical, ${f.scan.fixable.high} high)`
                : "—"}
            </dd>
            <dt>Signatures</dt>
            <dd>
              {f.signatures.length
                ? f.signatures
                    .map((s) => `${s.verified ? "verified" : "unverified"} ${s.identity ?? ""}`)
                    .join("; ")
                : "none"}
            </dd>
            <dt>User</dt>
            <dd>{f.user ?? "—"}</dd>
          </dl>
          {f.scan?.vulnerabilities.length ? (
            <table>
              <caption>Vulnerabilities</caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Package</th>
                  <th scope="col">Installed</th>
                  <th scope="col">Fixed in</th>
                </tr>
              </thead>
              <tbody>
                {f.scan.vulnerabilities.map((v) => (
                  <tr key={`${v.id}|${v.package}`}>
                    <td>{v.id}</td>
                    <td>{v.severity}</td>
                    <td>{v.package}</td>
                    <td>{v.installedVersion}</td>
                    <td>{v.fixedVersion ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
    </>
  );
}
