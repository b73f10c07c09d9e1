/**
 * IP addresses and CIDR ranges (k8s.io/apiserver/pkg/cel/library/ip.go and cidr.go), parsed
 * with the rules of Go's net/netip: no leading zeros in IPv4 octets, no zones, and no
 * IPv4-mapped IPv6 addresses. Addresses are kept as 4 or 16 bytes.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celError, registerNamespace } from "../shared.js";

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export class IPAddress {
  readonly celType = "net.IP";

  constructor(readonly bytes: Uint8Array) {}

  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }

  equals(other: unknown): boolean {
    return other instanceof IPAddress && sameBytes(this.bytes, other.bytes);
  }

  /** The canonical text, as Go's netip.Addr.String(): RFC 5952 for IPv6. */
  toString(): string {
    if (this.family === 4) return this.bytes.join(".");
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((this.bytes[i] ?? 0) << 8) | (this.bytes[i + 1] ?? 0));
    // The longest run of two or more zero groups (the first one on ties) becomes "::".
    let bestStart = -1;
    let bestLength = 1;
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j === i ? i + 1 : j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (bestStart < 0) return hex.join(":");
    return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
  }

  private group(i: number): number {
    return ((this.bytes[2 * i] ?? 0) << 8) | (this.bytes[2 * i + 1] ?? 0);
  }

  isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    if (this.family === 4) return this.bytes[0] === 127;
    return this.bytes.slice(0, 15).every((b) => b === 0) && this.bytes[15] === 1;
  }

  isMulticast(): boolean {
    if (this.family === 4) return ((this.bytes[0] ?? 0) & 0xf0) === 0xe0;
    return this.bytes[0] === 0xff;
  }

  isLinkLocalMulticast(): boolean {
    if (this.family === 4) return this.bytes[0] === 224 && this.bytes[1] === 0 && this.bytes[2] === 0;
    return (this.group(0) & 0xff0f) === 0xff02;
  }

  isLinkLocalUnicast(): boolean {
    if (this.family === 4) return this.bytes[0] === 169 && this.bytes[1] === 254;
    return (this.group(0) & 0xffc0) === 0xfe80;
  }

  /** Go's IsGlobalUnicast: private and ULA addresses count as global unicast too. */
  isGlobalUnicast(): boolean {
    if (this.family === 4 && (this.isUnspecified() || this.bytes.every((b) => b === 255))) return false;
    return !this.isUnspecified() && !this.isLoopback() && !this.isMulticast() && !this.isLinkLocalUnicast();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Go's netip IPv4 parser: exactly four decimal octets, no leading zeros. Throws the netip message. */
function parseIPv4(text: string, into: Uint8Array, offset: number): void {
  let field = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (ch >= "0" && ch <= "9") {
      if (digits === 1 && value === 0) throw new Error("IPv4 field has octet with leading zero");
      value = value * 10 + Number(ch);
      digits++;
      if (value > 255) throw new Error("IPv4 field has value >255");
    } else if (ch === ".") {
      if (i === 0 || i === text.length - 1 || text[i - 1] === ".") {
        throw new Error("IPv4 field must have at least one digit");
      }
      if (field === 3) throw new Error("IPv4 address too long");
      into[offset + field++] = value;
      value = 0;
      digits = 0;
    } else throw new Error("unexpected character");
  }
  if (field < 3) throw new Error("IPv4 address too short");
  into[offset + 3] = value;
}

/** Go's netip IPv6 parser (with an optional trailing IPv4 part and `%zone`). */
function parseIPv6(input: string): { bytes: Uint8Array; zone: string } {
  let text = input;
  let zone = "";
  const percent = text.indexOf("%");
  if (percent >= 0) {
    zone = text.slice(percent + 1);
    text = text.slice(0, percent);
    if (zone === "") throw new Error("zone must be a non-empty string");
  }
  const bytes = new Uint8Array(16);
  let ellipsis = -1;
  if (text.startsWith("::")) {
    ellipsis = 0;
    text = text.slice(2);
    if (text === "") return { bytes, zone };
  }
  let i = 0;
  while (i < 16) {
    const digits = /^[0-9a-fA-F]*/.exec(text)?.[0] ?? "";
    if (digits.length === 0) throw new Error("each colon-separated field must have at least one digit");
    if (digits.length > 4) throw new Error("each colon-separated field must have at most 4 hex digits");
    if (text[digits.length] === ".") {
      if (ellipsis < 0 && i !== 12) {
        throw new Error("embedded IPv4 address must replace the final 2 fields of the address");
      }
      if (i + 4 > 16)
        throw new Error("too many hex fields to fit an embedded IPv4 at the end of the address");
      parseIPv4(text, bytes, i);
      text = "";
      i += 4;
      break;
    }
    const value = Number.parseInt(digits, 16);
    bytes[i] = value >> 8;
    bytes[i + 1] = value & 0xff;
    i += 2;
    text = text.slice(digits.length);
    if (text === "") break;
    if (text[0] !== ":") throw new Error("unexpected character, want colon");
    if (text.length === 1) throw new Error("colon must be followed by more characters");
    text = text.slice(1);
    if (text[0] === ":") {
      if (ellipsis >= 0) throw new Error("multiple :: in address");
      ellipsis = i;
      text = text.slice(1);
      if (text === "") break;
    }
  }
  if (text !== "") throw new Error("trailing garbage after address");
  if (i < 16) {
    if (ellipsis < 0) throw new Error("address string too short");
    const n = 16 - i;
    bytes.copyWithin(ellipsis + n, ellipsis, i);
    bytes.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    throw new Error("the :: must expand to at least one field of zeros");
  }
  return { bytes, zone };
}

/** Go's netip.ParseAddr. Throws `ParseAddr("..."): reason`. */
function parseAddr(text: string): { bytes: Uint8Array; zone: string } {
  try {
    for (const ch of text) {
      if (ch === ".") {
        const bytes = new Uint8Array(4);
        parseIPv4(text, bytes, 0);
        return { bytes, zone: "" };
      }
      if (ch === ":") return parseIPv6(text);
      if (ch === "%") throw new Error("missing IPv6 address");
    }
    throw new Error("unable to parse IP");
  } catch (error) {
    throw new Error(`ParseAddr(${JSON.stringify(text)}): ${(error as Error).message}`);
  }
}

function isIPv4Mapped(bytes: Uint8Array): boolean {
  return (
    bytes.length === 16 &&
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  );
}

/**
 * Parses an IP address as Kubernetes' ip() does. Throws a CEL error for invalid text, a zone
 * (`fe80::1%eth0`) or an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`).
 */
export function parseIP(text: string): IPAddress {
  let parsed: { bytes: Uint8Array; zone: string };
  try {
    parsed = parseAddr(text);
  } catch (error) {
    throw celError(
      `IP Address ${JSON.stringify(text)} parse error during conversion from string: ${(error as Error).message}`,
    );
  }
  if (parsed.zone !== "") throw celError(`IP address ${JSON.stringify(text)} with zone value is not allowed`);
  if (isIPv4Mapped(parsed.bytes))
    throw celError(`IPv4-mapped IPv6 address ${JSON.stringify(text)} is not allowed`);
  return new IPAddress(parsed.bytes);
}

/** An address with a prefix length, e.g. 192.168.0.0/16. The address keeps its host bits. */
export class CIDR {
  readonly celType = "net.CIDR";

  constructor(
    readonly ip: IPAddress,
    readonly prefixLength: number,
  ) {}

  equals(other: unknown): boolean {
    return other instanceof CIDR && other.prefixLength === this.prefixLength && other.ip.equals(this.ip);
  }

  toString(): string {
    return `${this.ip}/${this.prefixLength}`;
  }

  /** The network address: the host bits cleared. */
  masked(): CIDR {
    const bytes = this.ip.bytes.map((b, i) => {
      const bits = Math.min(Math.max(this.prefixLength - i * 8, 0), 8);
      return b & (0xff << (8 - bits)) & 0xff;
    });
    return new CIDR(new IPAddress(bytes), this.prefixLength);
  }

  containsIP(ip: IPAddress): boolean {
    if (ip.family !== this.ip.family) return false;
    return new CIDR(ip, this.prefixLength).masked().equals(this.masked());
  }

  /** True if `other` lies wholly inside this range. */
  containsCIDR(other: CIDR): boolean {
    return other.prefixLength >= this.prefixLength && this.containsIP(other.ip);
  }
}

/** Parses CIDR notation as Kubernetes' cidr() does (Go's netip.ParsePrefix); throws a CEL error. */
export function parseCIDR(text: string): CIDR {
  const fail = (reason: string) =>
    celError(
      `network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(text)}): ${reason}`,
    );
  const slash = text.lastIndexOf("/");
  if (slash < 0) throw fail("no '/'");
  let addr: { bytes: Uint8Array; zone: string };
  try {
    addr = parseAddr(text.slice(0, slash));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (addr.zone !== "") throw fail("IPv6 zones cannot be present in a prefix");
  const bitsText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText)) throw fail(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > addr.bytes.length * 8) throw fail("prefix length out of range");
  if (isIPv4Mapped(addr.bytes)) {
    throw celError(`IPv4-mapped IPv6 address ${JSON.stringify(text)} is not allowed`);
  }
  return new CIDR(new IPAddress(addr.bytes), bits);
}

function succeeds(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

/** Registers ip, isIP, ip.isCanonical, cidr, isCIDR and their methods, string() and ==. */
export function registerIpLibrary(env: Environment): void {
  const IP = "net.IP";
  const C = "net.CIDR";
  env.registerType(IP, IPAddress);
  env.registerType(C, CIDR);
  env.registerOperator(`${IP} == ${IP}`, (a: IPAddress, b: IPAddress) => a.equals(b));
  env.registerOperator(`${C} == ${C}`, (a: CIDR, b: CIDR) => a.equals(b));

  env.registerFunction(`ip(string): ${IP}`, parseIP);
  env.registerFunction("isIP(string): bool", (text: string) => succeeds(() => parseIP(text)));
  const ipNamespace = registerNamespace(env, "ip");
  env.registerFunction(
    `${ipNamespace}.isCanonical(string): bool`,
    (_: unknown, text: string) => parseIP(text).toString() === text,
  );
  env.registerFunction(`string(${IP}): string`, (ip: IPAddress) => ip.toString());
  env.registerFunction(`${IP}.family(): int`, (ip: IPAddress) => BigInt(ip.family));
  env.registerFunction(`${IP}.isUnspecified(): bool`, (ip: IPAddress) => ip.isUnspecified());
  env.registerFunction(`${IP}.isLoopback(): bool`, (ip: IPAddress) => ip.isLoopback());
  env.registerFunction(`${IP}.isLinkLocalMulticast(): bool`, (ip: IPAddress) => ip.isLinkLocalMulticast());
  env.registerFunction(`${IP}.isLinkLocalUnicast(): bool`, (ip: IPAddress) => ip.isLinkLocalUnicast());
  env.registerFunction(`${IP}.isGlobalUnicast(): bool`, (ip: IPAddress) => ip.isGlobalUnicast());

  env.registerFunction(`cidr(string): ${C}`, parseCIDR);
  env.registerFunction("isCIDR(string): bool", (text: string) => succeeds(() => parseCIDR(text)));
  env.registerFunction(`string(${C}): string`, (cidr: CIDR) => cidr.toString());
  env.registerFunction(`${C}.containsIP(${IP}): bool`, (cidr: CIDR, ip: IPAddress) => cidr.containsIP(ip));
  env.registerFunction(`${C}.containsIP(string): bool`, (cidr: CIDR, ip: string) =>
    cidr.containsIP(parseIP(ip)),
  );
  env.registerFunction(`${C}.containsCIDR(${C}): bool`, (cidr: CIDR, other: CIDR) =>
    cidr.containsCIDR(other),
  );
  env.registerFunction(`${C}.containsCIDR(string): bool`, (cidr: CIDR, other: string) =>
    cidr.containsCIDR(parseCIDR(other)),
  );
  env.registerFunction(`${C}.ip(): ${IP}`, (cidr: CIDR) => cidr.ip);
  env.registerFunction(`${C}.masked(): ${C}`, (cidr: CIDR) => cidr.masked());
  env.registerFunction(`${C}.prefixLength(): int`, (cidr: CIDR) => BigInt(cidr.prefixLength));

  // Kubernetes names the types net.IP and net.CIDR, so that `type(x) == net.CIDR` works.
  env.registerConstant("net", "map<string, type>", {
    IP: env.evaluate("type(ip('0.0.0.0'))"),
    CIDR: env.evaluate("type(cidr('0.0.0.0/0'))"),
  });
}

export const ipFunctions: FunctionDoc[] = [
  {
    signature: "ip(<string>) -> <IP>",
    description:
      "Parses an IPv4 or IPv6 address. Leading zeros in IPv4 octets, zones (fe80::1%eth0) and IPv4-mapped IPv6 addresses are errors.",
    example: "ip('127.0.0.1').family()",
    result: "4",
  },
  {
    signature: "isIP(<string>) -> <bool>",
    description: "True if `ip()` accepts the string.",
    example: "isIP('127.0.0.256')",
    result: "false",
  },
  {
    signature: "ip.isCanonical(<string>) -> <bool>",
    description:
      "True if the address is written in its one canonical form (lower case, shortest IPv6 form); an error if it is not an address.",
    example: "ip.isCanonical('2001:db8::0:0:0:abcd')",
    result: "false",
  },
  {
    signature: "string(<IP>) -> <string>",
    description: "The canonical text of the address.",
    example: "string(ip('2001:DB8::0:0:ABCD'))",
    result: "'2001:db8::abcd'",
  },
  {
    signature: "<IP>.family() -> <int>",
    description: "4 for an IPv4 address, 6 for an IPv6 address.",
    example: "ip('::1').family()",
    result: "6",
  },
  {
    signature: "<IP>.isUnspecified() -> <bool>",
    description: "True for 0.0.0.0 and ::.",
    example: "ip('::').isUnspecified()",
    result: "true",
  },
  {
    signature: "<IP>.isLoopback() -> <bool>",
    description: "True for 127.0.0.0/8 and ::1.",
    example: "ip('127.0.0.1').isLoopback()",
    result: "true",
  },
  {
    signature: "<IP>.isLinkLocalMulticast() -> <bool>",
    description: "True for 224.0.0.0/24 and IPv6 link-local multicast (ff02::/16).",
    example: "ip('ff02::1').isLinkLocalMulticast()",
    result: "true",
  },
  {
    signature: "<IP>.isLinkLocalUnicast() -> <bool>",
    description: "True for 169.254.0.0/16 and fe80::/10.",
    example: "ip('169.254.169.254').isLinkLocalUnicast()",
    result: "true",
  },
  {
    signature: "<IP>.isGlobalUnicast() -> <bool>",
    description:
      "True unless the address is unspecified, 255.255.255.255, loopback, multicast or link-local unicast (private ranges count as global unicast).",
    example: "ip('192.168.0.1').isGlobalUnicast()",
    result: "true",
  },
  {
    signature: "cidr(<string>) -> <CIDR>",
    description:
      "Parses CIDR notation (an address, '/', a prefix length). The same address rules as `ip()` apply.",
    example: "cidr('192.168.0.0/16').prefixLength()",
    result: "16",
  },
  {
    signature: "isCIDR(<string>) -> <bool>",
    description: "True if `cidr()` accepts the string.",
    example: "isCIDR('192.168.0.0/33')",
    result: "false",
  },
  {
    signature: "string(<CIDR>) -> <string>",
    description: "The CIDR in canonical text.",
    example: "string(cidr('192.168.0.0/24'))",
    result: "'192.168.0.0/24'",
  },
  {
    signature: "<CIDR>.containsIP(<IP | string>) -> <bool>",
    description: "True if the range contains the address.",
    example: "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
    result: "true",
  },
  {
    signature: "<CIDR>.containsCIDR(<CIDR | string>) -> <bool>",
    description: "True if the range contains the whole other range.",
    example: "cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')",
    result: "true",
  },
  {
    signature: "<CIDR>.ip() -> <IP>",
    description: "The address part of the CIDR, as written (host bits kept).",
    example: "cidr('192.168.0.1/24').ip() == ip('192.168.0.1')",
    result: "true",
  },
  {
    signature: "<CIDR>.masked() -> <CIDR>",
    description: "The network: the CIDR with its host bits cleared (its canonical form).",
    example: "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
    result: "true",
  },
  {
    signature: "<CIDR>.prefixLength() -> <int>",
    description: "The number of bits in the mask.",
    example: "cidr('::1/128').prefixLength()",
    result: "128",
  },
];
