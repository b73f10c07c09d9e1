import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";

/**
 * Which addresses webhook deliveries may reach (CELGATE_WEBHOOK_TARGETS, docs/security.md):
 * `public` (default) only public unicast addresses; `private` also the private ranges
 * (RFC 1918, unique-local IPv6, carrier-grade NAT), for a receiver inside the cluster; `any`
 * also loopback, link-local, cloud metadata and reserved addresses (development only).
 */
export const WEBHOOK_TARGETS = ["public", "private", "any"] as const;
export type WebhookTargets = (typeof WEBHOOK_TARGETS)[number];

type AddressClass = "loopback" | "metadata" | "link-local" | "private" | "reserved";

const CLASSES: readonly [AddressClass, readonly [string, number][]][] = [
  [
    "loopback",
    [
      ["127.0.0.0", 8],
      ["::1", 128],
    ],
  ],
  // instance metadata endpoints of cloud providers (AWS IPv6, Alibaba): never a webhook receiver
  [
    "metadata",
    [
      ["169.254.169.254", 32],
      ["fd00:ec2::254", 128],
      ["100.100.100.200", 32],
    ],
  ],
  [
    "link-local",
    [
      ["169.254.0.0", 16],
      ["fe80::", 10],
    ],
  ],
  [
    "private",
    [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
      ["100.64.0.0", 10],
      ["fc00::", 7],
    ],
  ],
  [
    "reserved",
    [
      ["0.0.0.0", 8],
      ["192.0.0.0", 24],
      ["192.0.2.0", 24],
      ["198.18.0.0", 15],
      ["198.51.100.0", 24],
      ["203.0.113.0", 24],
      ["224.0.0.0", 4],
      ["240.0.0.0", 4],
      // IPv4-compatible (deprecated), IPv4-translated (SIIT), NAT64 and 6to4 addresses embed an
      // IPv4 address
      ["::", 96],
      ["::ffff:0:0:0", 96],
      ["64:ff9b::", 96],
      ["64:ff9b:1::", 48],
      ["2002::", 16],
      ["100::", 64],
      ["2001:db8::", 32],
      // site-local (deprecated by RFC 3879, still routed inside some private networks)
      ["fec0::", 10],
      ["ff00::", 8],
    ],
  ],
];

const LISTS = CLASSES.map(([name, subnets]) => {
  const list = new BlockList();
  for (const [net, prefix] of subnets) list.addSubnet(net, prefix, isIP(net) === 6 ? "ipv6" : "ipv4");
  return [name, list] as const;
});

/** The class of an IP address, or null for a public one. IPv4-mapped IPv6 counts as its IPv4 address. */
function classOf(address: string): AddressClass | null {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  for (const [name, list] of LISTS) if (list.check(address, family)) return name;
  return null;
}

const ARTICLE: Record<AddressClass, string> = {
  loopback: "a loopback address",
  metadata: "a cloud metadata address",
  "link-local": "a link-local address",
  private: "a private address",
  reserved: "a reserved (non-public) address",
};

/**
 * Why deliveries may not go to `address` under `targets`, or null when they may. Never throws.
 */
export function refusedAddress(address: string, targets: WebhookTargets): string | null {
  if (targets === "any") return null;
  const cls = classOf(address);
  if (cls === null || (cls === "private" && targets === "private")) return null;
  const hint =
    cls === "private"
      ? "set CELGATE_WEBHOOK_TARGETS=private to allow receivers on private networks"
      : "only CELGATE_WEBHOOK_TARGETS=any allows it";
  return `${address} is ${ARTICLE[cls]}; deliveries go to ${targets} addresses only (${hint})`;
}

/** The host of a URL as an address when it is an IP literal (IPv6 without brackets), else null. */
function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/**
 * Why a webhook URL is refused before it is stored, or null. Checks what needs no DNS: the
 * scheme, credentials in the URL (postDelivery refuses them too: they are never sent), an IP
 * literal host and `localhost` names under the targets policy. Names are checked again, on
 * the addresses they resolve to, at every delivery.
 */
export function refusedUrl(text: string, targets: WebhookTargets): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "not an http:// or https:// URL";
  if (url.username !== "" || url.password !== "")
    return "the URL holds credentials (user:password@); authenticate the receiver with the webhook's signature instead";
  const literal = literalAddress(url);
  if (literal !== null) return refusedAddress(literal, targets);
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (targets !== "any" && (host === "localhost" || host.endsWith(".localhost")))
    return `${url.hostname} names this machine; deliveries go to ${targets} addresses only (only CELGATE_WEBHOOK_TARGETS=any allows it)`;
  return null;
}

/** What stands for the hidden parts of a redacted webhook URL. */
export const REDACTED_URL_PART = "…";

/**
 * A webhook URL as it is shown once stored (listed, audited, logged): its scheme, host and
 * port, which name the receiver, and `/…` in place of the userinfo, path, query and fragment,
 * where incoming-webhook URLs carry their token (`https://hooks.slack.com/services/T…/B…/<token>`
 * becomes `https://hooks.slack.com/…`). A URL with none of those is shown whole
 * (`https://hooks.example/`); one that does not parse is `…`. Never throws.
 */
export function redactedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return REDACTED_URL_PART;
  }
  const hides =
    url.username !== "" ||
    url.password !== "" ||
    (url.pathname !== "/" && url.pathname !== "") ||
    text.includes("?") ||
    text.includes("#");
  return `${url.protocol}//${url.host}/${hides ? REDACTED_URL_PART : ""}`;
}

/**
 * `message` with every form of `url` it quotes (the URL whole, its path and query) replaced by
 * its redacted form: for the text of a delivery's error, which is stored, audited and logged.
 * Never throws.
 */
export function withoutUrl(message: string, url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const forms = new Set([url, parsed?.href ?? "", parsed ? `${parsed.pathname}${parsed.search}` : ""]);
  if (parsed)
    for (const part of [parsed.pathname, parsed.search, parsed.hash, parsed.username, parsed.password])
      forms.add(part);
  let out = message;
  // longest first, so that a URL is replaced whole before its path is
  for (const form of [...forms].sort((a, b) => b.length - a.length))
    if (form.length > 1)
      out = out.split(form).join(form.includes("//") ? redactedUrl(url) : REDACTED_URL_PART);
  return out;
}

/** A delivery refused by the targets policy (the message says why), or one past its time limit. */
export class WebhookTargetError extends Error {
  override name = "WebhookTargetError";
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for node:net that resolves a name once and hands the socket only addresses the
 * policy allows: the connection goes to the very address that was checked, so a name that
 * resolves differently on a second lookup (DNS rebinding) cannot slip past the check.
 */
function guardedLookup(targets: WebhookTargets) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => refusedAddress(a.address, targets) === null);
      const first = allowed[0];
      if (!first) {
        const reason = addresses[0] ? refusedAddress(addresses[0].address, targets) : "it has no address";
        return callback(new WebhookTargetError(`the receiver's host ${hostname} is refused: ${reason}`), []);
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs one delivery and returns the receiver's status. Bounded: one timer covers resolving,
 * connecting, TLS, sending and the response head; the response body is never read (the
 * connection is closed once the status is in); redirects are not followed (a 3xx is the
 * status); the address connected to is checked against `targets`. Throws WebhookTargetError
 * for a refused address or a timeout, and the socket's error otherwise.
 */
export function postDelivery(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; targets: WebhookTargets },
): Promise<number> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new WebhookTargetError("the webhook URL does not parse"));
  }
  const refused = refusedUrl(url, options.targets);
  if (refused !== null)
    return Promise.reject(new WebhookTargetError(`the webhook URL is refused: ${refused}`));
  const send = parsed.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = send(parsed, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      // a connection of its own: no socket of another delivery (or another address) is reused
      agent: false,
      lookup: guardedLookup(options.targets),
    });
    const timer = setTimeout(
      () => req.destroy(new WebhookTargetError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on("response", (res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      // the body is not wanted: close instead of reading what a receiver might send forever
      res.destroy();
      req.destroy();
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("close", () => clearTimeout(timer));
    req.end(body);
  });
}
