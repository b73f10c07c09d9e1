/**
 * `string(bytes)` as cel-go converts it: the bytes must be valid UTF-8, else the conversion
 * fails at run time ("invalid UTF-8"); cel-js replaces invalid sequences with U+FFFD.
 */
import { type BuiltinOverride, celError, FALLBACK } from "../shared.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const bytesOverrides: readonly BuiltinOverride[] = [
  {
    method: false,
    name: "string",
    apply: ([value]) => {
      if (!(value instanceof Uint8Array)) return FALLBACK;
      try {
        return utf8.decode(value);
      } catch {
        throw celError("invalid UTF-8 in bytes, cannot convert to string");
      }
    },
  },
];
