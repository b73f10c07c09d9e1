import { createHash, randomFillSync } from "node:crypto";

/** sha256 of a text or buffer, lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

// Crockford base32, as ULIDs use: sortable by time, readable, no ambiguous letters.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const RANDOM_BYTES = 10;
// Random bytes are drawn from the CSPRNG a pool at a time (as crypto.randomUUID does): one
// randomBytes() call per id cost more than the rest of the id. Each id takes bytes no other
// id took; the pool is refilled, not reused.
const POOL_IDS = 256;
const pool = Buffer.alloc(RANDOM_BYTES * POOL_IDS);
let next = pool.length;

/** The offset of RANDOM_BYTES fresh random bytes in `pool`. */
function randomOffset(): number {
  if (next + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next;
  next += RANDOM_BYTES;
  return at;
}

/** A time-ordered unique id such as `ev_01JD...`: 48-bit milliseconds then 80 random bits. */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const at = randomOffset();
  let rand = "";
  let acc = 0;
  let bits = 0;
  for (let i = at; i < at + RANDOM_BYTES; i++) {
    acc = (acc << 8) | (pool[i] as number);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += ALPHABET[(acc >> bits) & 31];
    }
  }
  return `${prefix}_${time}${rand}`;
}
