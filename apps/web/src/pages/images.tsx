import type { StoredImage } from "@celgate/sdk";
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router";
import { ErrorBox, PageTitle } from "../components/common.js";
import { relative, when } from "../lib/format.js";
import { useSession } from "../session.js";

export default function Images() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const [image, setImage] = useState<StoredImage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = params.get("digest") ?? "";
  const lookup = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const digest = String(new FormData(e.currentTarget).get("digest") ?? "").trim();
    setParams(digest ? { digest } : {});
    setError(null);
    setImage(null);
    try {
      setImage(await client.images.get(digest));
    } catch (err) {
      setError(err);
    }
  };
  const f = image?.facts;
  return (
    <section>
      <PageTitle>Images</PageTitle>
      <p className="muted">
        Facts are stored per image digest (or name and tag for a scan of a tag). The API has no list of stored
        images, so look one up.
      </p>
      <form className="filters" onSubmit={lookup}>
        <label>
          Digest or name:tag
          <input name="digest" defaultValue={key} size={60} required />
        </label>
        <button type="submit">Look up</button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {f && image ? (
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
    </section>
  );
}
