import { type DsseEnvelope, INVALID_RECEIPT_CODES, verifyReceipt } from "@celgate/sdk";
import { download, when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";
import { Show } from "./common.js";
import { Literal } from "./literal.js";

/**
 * A recorded decision's signed receipt, verified in this browser (the SDK's verifyReceipt, Web
 * Crypto) against the keys the service publishes at `/v1/keys`. A deploy job pins those keys
 * instead (docs/receipts.md); here the check shows the receipt is intact and whose key signed it.
 */
export function ReceiptView({ id, envelope }: { id: string; envelope: DsseEnvelope | undefined }) {
  const { client } = useSession();
  const [checked] = useLoad(
    async (signal) =>
      envelope ? verifyReceipt(envelope, { keys: await client.keys.list({ signal }) }) : undefined,
    [client, envelope],
  );
  return (
    <section aria-labelledby="receipt-heading">
      <h2 id="receipt-heading">Receipt</h2>
      {envelope ? (
        <>
          <Show loaded={checked}>
            {(v) =>
              !v ? null : v.valid && v.statement ? (
                <p role="status" className="receipt-valid">
                  Signature verified in this browser with key{" "}
                  <code>
                    <Literal text={v.keyId} />
                  </code>{" "}
                  of this service: signed {when(v.statement.predicate.signedAt)} for evaluation{" "}
                  <code>
                    <Literal text={v.statement.predicate.evaluationId} />
                  </code>
                  , decision {v.statement.predicate.decision}, {v.statement.subject.length} subjects.
                </p>
              ) : (
                <div className="error" role="alert">
                  The receipt does not verify:{" "}
                  <Literal
                    text={v.problems
                      .filter((p) => INVALID_RECEIPT_CODES.has(p.code))
                      .map((p) => `${p.message} (${p.code})`)
                      .join("; ")}
                  />
                </div>
              )
            }
          </Show>
          <p className="muted">
            A deploy job checks it offline with <code>celgate verify</code> and the pinned keys.{" "}
            <button
              type="button"
              onClick={() =>
                download(`receipt-${id}.json`, `${JSON.stringify(envelope, null, 2)}\n`, "application/json")
              }
            >
              Download receipt
            </button>
          </p>
        </>
      ) : (
        <p>This evaluation has no receipt (it was recorded before receipts were signed).</p>
      )}
    </section>
  );
}
