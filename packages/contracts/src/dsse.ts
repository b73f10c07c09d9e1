import { z } from "zod";

// DSSE, the envelope of a signed receipt (https://github.com/secure-systems-lab/dsse,
// envelope.md and protocol.md): the envelope's shape, the pre-authentication encoding that is
// signed, and base64. No dependencies: the service signs with these and the SDK verifies.

/** The media type of a DSSE envelope (`GET /v1/evaluations/{id}/receipt`). */
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";

export const DsseSignatureSchema = z.object({ keyid: z.string().optional(), sig: z.string().min(1) });

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse, envelope.md). */
export const DsseEnvelopeSchema = z
  .object({
    payload: z.string(),
    payloadType: z.string(),
    signatures: z.array(DsseSignatureSchema).min(1),
  })
  .meta({ id: "DsseEnvelope", description: "A DSSE envelope holding a signed in-toto statement." });
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>;

/**
 * DSSE's pre-authentication encoding, the bytes that are signed:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as ASCII decimal.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} `);
  const middle = encoder.encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Bytes of standard or URL-safe base64, padded or not (DSSE accepts either). Returns null
 * for anything else.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (standard.length % 4 === 1) return null;
  try {
    const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
