import type { ImageSummary, StoredImage } from "@celgate/sdk";
import { Link, useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
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

/** The filters of GET /v1/images, each a query parameter of this page's URL. */
export const FILTERS = [
  {
    kind: "select",
    name: "stale",
    label: "Scan",
    any: "any",
    options: STALE.map((d) => ({ value: d, label: `older than ${d}, or none` })),
  },
  {
    kind: "text",
    name: "repository",
    label: "Repository",
    placeholder: "registry.example/shop/web",
    size: 40,
  },
] as const satisfies readonly Filter[];

const COLUMNS: readonly Column<ImageSummary>[] = [
  {
    header: "Image",
    rowHeader: true,
    cell: (i) => (
      <Link to={`/images?digest=${encodeURIComponent(i.key)}`}>
        <Literal text={i.ref} />
      </Link>
    ),
  },
  { header: "Vulnerabilities", cell: (i) => counts(i.summary) },
  {
    header: "Scanned",
    cell: (i) =>
      i.scannedAt && i.scanAgeSeconds !== null
        ? `${age(i.scanAgeSeconds)} ago${i.scanner ? ` (${i.scanner})` : ""}`
        : "never",
  },
  { header: "Signatures", cell: (i) => `${i.verifiedSignatures} verified of ${i.signatures}` },
  { header: "Stored", cell: (i) => when(i.updatedAt) },
];

const load: ListViewProps<ImageSummary, typeof FILTERS>["load"] = (client, q, signal) =>
  client.images.list({ ...q.filters, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) }, { signal });

function ImageList() {
  const [, setParams] = useSearchParams();
  return (
    <>
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
      <ListView
        noun="images"
        caption="Stored image facts, by key"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(i) => i.key}
        empty="No image matches."
      />
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
          <h2>
            <Literal text={f.ref} />
          </h2>
          <dl className="facts">
            <dt>Stored</dt>
            <dd>
              {when(image.updatedAt)} by <Literal text={image.updatedBy} />
            </dd>
            <dt>Scan</dt>
            <dd>
              <Literal
                text={
                  f.scan
                    ? `${f.scan.scanner ?? "unknown scanner"}, ${f.scan.scannedAt ? `${relative(f.scan.scannedAt)}` : "no date"}`
                    : "none"
                }
              />
            </dd>
            <dt>Vulnerabilities</dt>
            <dd>
              {f.scan
                ? `${f.scan.summary.critical} critical, ${f.scan.summary.high} high, ${f.scan.summary.medium} medium, ${f.scan.summary.low} low (fixable: ${f.scan.fixable.critical} critical, ${f.scan.fixable.high} high)`
                : "—"}
            </dd>
            <dt>Signatures</dt>
            <dd>
              <Literal
                text={
                  f.signatures.length
                    ? f.signatures
                        .map((s) => `${s.verified ? "verified" : "unverified"} ${s.identity ?? ""}`)
                        .join("; ")
                    : "none"
                }
              />
            </dd>
            <dt>User</dt>
            <dd>
              <Literal text={f.user ?? "—"} />
            </dd>
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
                    <td>
                      <Literal text={v.id} />
                    </td>
                    <td>{v.severity}</td>
                    <td>
                      <Literal text={v.package} />
                    </td>
                    <td>
                      <Literal text={v.installedVersion} />
                    </td>
                    <td>
                      <Literal text={v.fixedVersion ?? "—"} />
                    </td>
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
