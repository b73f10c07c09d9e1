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
 * Bytes of standard or URL-safe base64, padded or not (DSSE accepts either), in its one
 * canonical spelling: one alphabet, no whitespace, padding (when given) right, and unused
 * trailing bits zero, so that no two texts decode to the same bytes. Returns null for
 * anything else.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) return null; // two alphabets in one text
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (standard.length % 4 === 1) return null;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
    bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  // atob ignores nonzero trailing bits ("QR==" reads as "QQ=="): the canonical text must come back
  let again = toBase64(bytes);
  if (urlSafe) again = again.replace(/\+/g, "-").replace(/\//g, "_");
  const padded = text.endsWith("=");
  return (padded ? again : again.replace(/=+$/, "")) === text ? bytes : null;
}

/**
 * The first key that occurs twice in one object of a JSON text, with its path
 * (`predicate.decision`, `signatures[].sig`), or null. JSON.parse keeps the last of repeated
 * keys and other parsers the first, so a signed text with one is ambiguous and must be
 * refused. Expects text JSON.parse accepts; never throws on it.
 */
export function duplicateJsonKey(text: string): string | null {
  // one frame per open object (its keys, and the key whose value is being read) or array
  const stack: { keys: Set<string> | null; key: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const raw = text.slice(i, end + 1);
      i = end + 1;
      let next = i;
      while (next < text.length && " \t\n\r".includes(text[next] as string)) next++;
      const top = stack.at(-1);
      if (text[next] !== ":" || !top?.keys) continue;
      const key = JSON.parse(raw) as string;
      if (top.keys.has(key)) {
        let path = "";
        for (const f of stack.slice(0, -1)) path += f.keys ? `.${f.key}` : "[]";
        return `${path}.${key}`.replace(/^\./, "");
      }
      top.keys.add(key);
      top.key = key;
      i = next + 1;
      continue;
    }
    if (c === "{") stack.push({ keys: new Set(), key: "" });
    else if (c === "[") stack.push({ keys: null, key: "" });
    else if (c === "}" || c === "]") stack.pop();
    i++;
  }
  return null;
}
