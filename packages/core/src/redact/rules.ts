/**
 * What counts as secret, in one place: the rules the redaction applies (see docs/security.md,
 * "Redaction"). Pure data and small parsers; redact.ts applies them.
 */

/** Container fields that hold containers, wherever they appear (pod specs, templates, custom resources). */
export const CONTAINER_LISTS: ReadonlySet<string> = new Set([
  "containers",
  "initContainers",
  "ephemeralContainers",
]);

/**
 * Names (of environment variables, flags, ConfigMap keys, annotations, headers, assignments)
 * whose value is treated as a credential: the name contains one of these words,
 * case-insensitively, `_`, `-` or `.` allowed between the parts (`DB_PASSWORD`, `githubToken`,
 * `STRIPE_API_KEY`, `AWS_SECRET_ACCESS_KEY`, `BASIC_AUTH`, `skopeo --creds`), or has `PASS`,
 * `PW` or `PWD` as a whole part (`RABBITMQ_DEFAULT_PASS`, `MYSQL_PWD`, `plink -pw`, `--pass`),
 * or ends in keytool's and openssl's `storepass`, `keypass`, `passin`, `passout`.
 * Over-matching (`AUTHOR_NAME`, `PASS_THROUGH`) only hides a value that was never secret.
 */
export const CREDENTIAL_NAME =
  /PASS(?:WORD|WD|PHRASE)|(?:^|[_.-]|STORE|KEY)PASS(?:IN|OUT)?(?:$|[_.-])|(?:^|[_.-])PWD?(?:$|[_.-])|SECRET|TOKEN|API[_.-]?KEY|PRIVATE[_.-]?KEY|ACCESS[_.-]?KEY|SIGNING[_.-]?KEY|ENCRYPTION[_.-]?KEY|SESSION[_.-]?KEY|CRED(?:ENTIAL|S)|AUTH|COOKIE|DSN|CONN(?:ECTION)?[_.-]?STR(?:ING)?/i;

/** A URL carrying a password (`postgres://user:pw@host`): redacted whatever the variable is called. */
export const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;

/** Kinds whose credential rules apply, matched case-insensitively (`secret` is stored even if no API server takes it). */
export const SECRET_KIND = /^secret$/i;
export const CONFIG_MAP_KIND = /^configmap$/i;

/**
 * A container argument `--name=value` (or `-name=value`): the value is a credential when the
 * flag name matches CREDENTIAL_NAME (`--password=…`, `--api-token=…`) or it is a URL with a password.
 */
export const FLAG_WITH_VALUE = /^(-{1,2}([A-Za-z0-9][A-Za-z0-9_.-]*)=)([\s\S]*)$/;

/**
 * A container argument that is a flag alone, `--name` (or `-name`): when the name matches
 * CREDENTIAL_NAME (`--password`, `--db-token`), the next item is its value (`["--password",
 * "hunter2"]`), unless that item is itself a flag (starts with `-`). Short flags (`-p`) do not
 * match CREDENTIAL_NAME: they are recognised only for the programs in PASSWORD_FLAGS.
 */
export const FLAG_ALONE = /^-{1,2}([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

/**
 * Programs whose flags named here take a password (or `user:password`) although the flag's
 * name does not say so: the item after the flag (`-p`, `hunter2`), or, for a one-letter flag,
 * the rest of the item (`-phunter2`). `after`: only once this subcommand was seen
 * (`docker login -p`, while `docker run -p 80:80` publishes a port). Programs are named by the
 * base name of an item (`/usr/bin/mysql`, `mysql.exe`), in a container's command and args, an
 * exec probe or hook, or a shell script; with no command, the image's name counts as the
 * program (`curlimages/curl` with `args: ["-u", "user:pw", …]`).
 */
export interface PasswordFlags {
  flags: readonly string[];
  /** Of `flags`, those whose value is `user<separator>password`: only the password is secret (the whole value without one). */
  user?: { flags: readonly string[]; separator: string };
  after?: string;
}

export const PASSWORD_FLAGS: ReadonlyMap<string, PasswordFlags> = new Map([
  ...programs(
    "mysql mysqladmin mysqldump mysqlimport mysqlcheck mysqlshow mysqlslap mysqlpump mysqlbinlog mysqlsh mariadb mariadb-admin mariadb-dump mariadb-import mariadb-check mariadb-show mariadb-slap mariadb-binlog",
    { flags: ["-p"] },
  ),
  ...programs("sshpass", { flags: ["-p"] }),
  ...programs("redis-cli valkey-cli keydb-cli", { flags: ["-a"] }),
  ...programs("curl", {
    flags: ["-u", "--user", "-U", "--proxy-user", "-b"],
    user: { flags: ["-u", "--user", "-U", "--proxy-user"], separator: ":" },
  }),
  ...programs("lftp", { flags: ["-u", "--user"], user: { flags: ["-u", "--user"], separator: "," } }),
  ...programs("smbclient", { flags: ["-U", "--user"], user: { flags: ["-U", "--user"], separator: "%" } }),
  ...programs("mongo mongosh mongodump mongorestore mongoexport mongoimport mongostat mongotop mongofiles", {
    flags: ["-p"],
  }),
  ...programs("cqlsh", { flags: ["-p"] }),
  ...programs("sqlcmd bcp osql", { flags: ["-P"] }),
  ...programs("ldapsearch ldapadd ldapmodify ldapdelete ldapcompare ldapwhoami ldapmodrdn ldapexop", {
    flags: ["-w"],
  }),
  ...programs("ldappasswd", { flags: ["-w", "-s", "-a"] }),
  ...programs("openssl", { flags: ["-k"] }),
  ...programs("docker podman nerdctl buildah skopeo helm oras crane regctl", {
    flags: ["-p"],
    after: "login",
  }),
]);

function programs(names: string, rule: PasswordFlags): Array<[string, PasswordFlags]> {
  return names.split(" ").map((name) => [name, rule]);
}

/** `htpasswd -b file user password` (batch mode, `b` in a flag cluster): the last argument is the password. */
export const HTPASSWD = "htpasswd";

/**
 * Shells whose `-c` (alone or in a cluster: `-ec`, `-lc`) makes the next argument a script;
 * `su` and `runuser` take one after `-c` too. The script is read for credentials by the same
 * rules, command by command.
 */
export const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"]);
export const SU_SHELLS: ReadonlySet<string> = new Set(["su", "runuser"]);

/** Container fields whose `exec.command` runs in the container: probes and lifecycle hooks. */
export const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
export const HOOKS = ["postStart", "preStop"] as const;

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-f]{32,}$/i;

/**
 * The userinfo (`user:password@`) of an image reference such as `user:pw@registry.example/app:1`
 * or `https://user:pw@registry.example/app`: the part before the last `@` of the host (the text
 * before the first `/`), unless the reference is `name@algorithm:hex` (a digest, no `/`). Returns
 * the userinfo and the reference without it (`registry.example/app:1`), or null when there is none.
 */
export function imageUserinfo(ref: string): { userinfo: string; without: string } | null {
  const scheme = SCHEME.exec(ref)?.[0] ?? "";
  const body = ref.slice(scheme.length);
  const slash = body.indexOf("/");
  const host = slash < 0 ? body : body.slice(0, slash);
  const at = host.lastIndexOf("@");
  if (at < 0) return null;
  if (slash < 0 && scheme === "" && DIGEST.test(body.slice(at + 1))) return null;
  return { userinfo: host.slice(0, at), without: scheme + body.slice(at + 1) };
}

/** The annotation `kubectl apply` writes: a JSON copy of the object, secrets included. */
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * An operator's extra path to redact: in objects of `kind` (every kind when absent), the value
 * at `segments`, where `*` is any key of a mapping or any item of a list.
 */
export interface RedactionPath {
  kind?: string;
  segments: string[];
  /** As written, for messages. */
  text: string;
}

const KIND_PREFIX = /^([A-Za-z][A-Za-z0-9]*):(?!\/)/;
const SEGMENT = /^(?:\["((?:[^"\\]|\\.)*)"\]|([^.[\]"]+))/;

/**
 * Parses `CELGATE_REDACT_PATHS`: entries separated by commas or new lines, each
 * `[Kind:][$.]segment(.segment)*`, where a segment is a key, `*`, or `["key.with.dots"]`.
 * Examples: `ConfigMap:data.password`, `$.spec.credentials`,
 * `Deployment:metadata.annotations["vault.example/token"]`, `ConfigMap:data.*`.
 * Never throws: every bad entry is an error naming it.
 */
export function parseRedactionPaths(text: string): { paths: RedactionPath[]; errors: string[] } {
  const paths: RedactionPath[] = [];
  const errors: string[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.trim();
    if (entry === "") continue;
    const parsed = parseOne(entry);
    if (typeof parsed === "string") errors.push(`${JSON.stringify(entry)}: ${parsed}`);
    else paths.push(parsed);
  }
  return { paths, errors };
}

function parseOne(entry: string): RedactionPath | string {
  let rest = entry;
  let kind: string | undefined;
  const k = KIND_PREFIX.exec(rest);
  if (k) {
    kind = k[1];
    rest = rest.slice(k[0].length);
  }
  if (rest.startsWith("$")) rest = rest.slice(1);
  if (rest.startsWith(".")) rest = rest.slice(1);
  if (rest === "") return "names no field (write e.g. ConfigMap:data.password)";
  const segments: string[] = [];
  let first = true;
  while (rest !== "") {
    if (!first) {
      if (rest.startsWith(".")) rest = rest.slice(1);
      else if (!rest.startsWith("[")) return `expected "." or "[" before ${JSON.stringify(rest)}`;
    }
    const m = SEGMENT.exec(rest);
    if (!m) return `cannot read a key at ${JSON.stringify(rest)} (quote keys with dots: ["a.b"])`;
    segments.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
    rest = rest.slice(m[0].length);
    first = false;
  }
  return { ...(kind ? { kind } : {}), segments, text: entry };
}
