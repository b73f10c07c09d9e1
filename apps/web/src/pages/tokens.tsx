import { ENV_ADMIN_TOKEN_ID, ROLES } from "@celgate/contracts";
import type { CreatedToken, Role, Token } from "@celgate/sdk";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { ErrorBox, PageTitle } from "../components/common.js";
import { ConfirmDialog } from "../components/confirm.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { when } from "../lib/format.js";
import { visibleText } from "../lib/invisible.js";
import { useSession, useSessionContext } from "../session.js";

const NO_FILTERS = [] as const satisfies readonly Filter[];

const load: ListViewProps<Token, typeof NO_FILTERS>["load"] = (client, q, signal) =>
  client.tokens.list({ limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) }, { signal });

/** A revocation asked for and not yet confirmed (or cancelled). */
interface Revoking {
  token: Token;
  busy: boolean;
  error?: unknown;
}

export default function Tokens() {
  const { client, tokenId } = useSession();
  const { signOut } = useSessionContext();
  // each change loads the list again
  const [round, setRound] = useState(0);
  const reload = () => setRound((r) => r + 1);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revoking, setRevoking] = useState<Revoking | null>(null);
  // the dialog open now, for an answer that arrives after the reader cancelled
  const open = useRef(revoking);
  open.current = revoking;
  const [revoked, setRevoked] = useState<Token | null>(null);
  // after a revocation its button is gone: the focus goes to the line that says it was done
  const revokedNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (revoked) revokedNotice.current?.focus();
  }, [revoked]);
  const revoke = async (t: Token) => {
    setRevoking({ token: t, busy: true });
    try {
      await client.tokens.revoke(t.id);
    } catch (err) {
      // shown in the dialog while it is open (the page behind it is inert), else on the page
      if (open.current?.token.id === t.id) setRevoking({ token: t, busy: false, error: err });
      else setError(err);
      return;
    }
    // the service no longer takes this session's token: end it now, saying why, rather than at
    // the next call's 401
    if (t.id === tokenId)
      return signOut(
        `You revoked the token you were signed in with (${visibleText(t.name)}): the service no longer accepts it. Sign in with another token.`,
      );
    setRevoking(null);
    setRevoked(t);
    reload();
  };
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    try {
      setCreated(
        await client.tokens.create({
          name: String(form.get("name")),
          role: String(form.get("role")) as Role,
        }),
      );
      reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: readonly Column<Token>[] = [
    {
      header: "Name",
      rowHeader: true,
      cell: (t) =>
        t.id === tokenId ? (
          <>
            <Literal text={t.name} /> <span className="muted">(this session's token)</span>
          </>
        ) : (
          t.name
        ),
    },
    { header: "Role", cell: (t) => t.role },
    { header: "Created", cell: (t) => `${when(t.createdAt)} by ${t.createdBy}` },
    { header: "Last used", cell: (t) => when(t.lastUsedAt) },
    { header: "Expires", cell: (t) => when(t.expiresAt) },
    {
      header: "State",
      cell: (t) =>
        t.revokedAt ? (
          `revoked ${when(t.revokedAt)}`
        ) : t.id === ENV_ADMIN_TOKEN_ID ? (
          // the service refuses to revoke it (409): no button that can only fail
          <EnvTokenNote />
        ) : (
          <button
            type="button"
            onClick={() => {
              setError(null);
              setRevoked(null);
              setRevoking({ token: t, busy: false });
            }}
          >
            Revoke <Literal text={t.name} />
          </button>
        ),
    },
  ];
  return (
    <section>
      <PageTitle>Tokens</PageTitle>
      <form className="filters" onSubmit={create} aria-label="New token">
        <label>
          Name
          <input name="name" required maxLength={100} />
        </label>
        <label>
          Role
          <select name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
      {created ? (
        <div className="notice" role="status">
          Token for <Literal text={created.name} />: <code>{created.token}</code> — shown this once; store it
          now.
        </div>
      ) : null}
      {revoked ? (
        <p className="notice" role="status" tabIndex={-1} ref={revokedNotice}>
          Revoked the token <Literal text={revoked.name} /> (<code>{revoked.id}</code>).
        </p>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      {revoking ? (
        <RevokeDialog
          revoking={revoking}
          own={revoking.token.id === tokenId}
          onConfirm={() => revoke(revoking.token)}
          onCancel={() => setRevoking(null)}
        />
      ) : null}
      <ListView
        noun="tokens"
        caption="API tokens"
        filters={NO_FILTERS}
        columns={columns}
        load={load}
        rowKey={(t) => t.id}
        empty="No token is stored."
        refresh={round}
      />
    </section>
  );
}

/**
 * What the token of CELGATE_ADMIN_TOKEN shows instead of Revoke: it is the configuration's, so
 * the service refuses to revoke it through the API, and says how it is revoked.
 */
function EnvTokenNote() {
  return (
    <span>
      Live; set by the service's <code>CELGATE_ADMIN_TOKEN</code>, so it cannot be revoked here.{" "}
      <span className="muted">
        To revoke it, unset (or change) <code>CELGATE_ADMIN_TOKEN</code> on every instance of the service and
        restart them.
      </span>
    </span>
  );
}

/** The question before a token is revoked: which token (by name and id: names are not unique), and whether it is the session's own. */
function RevokeDialog({
  revoking: { token: t, busy, error },
  own,
  onConfirm,
  onCancel,
}: {
  revoking: Revoking;
  own: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <ConfirmDialog
      title={
        <>
          Revoke the token <Literal text={t.name} />?
        </>
      }
      confirm={own ? "Revoke and sign out" : "Revoke"}
      busyText="Revoking…"
      busy={busy}
      error={error}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      {own ? (
        <p className="error">
          <strong>This is the token you are signed in with.</strong> Revoking it ends your session: the
          console signs you out, and you need another admin token to sign in again.
        </p>
      ) : null}
      <p>
        <Literal text={t.name} /> ({t.role}, id <code>{t.id}</code>, created {when(t.createdAt)} by{" "}
        <Literal text={t.createdBy} />, last used {when(t.lastUsedAt)}) will be refused by the service from
        then on: every client that uses it gets 401. A revoked token cannot be restored.
      </p>
    </ConfirmDialog>
  );
}
