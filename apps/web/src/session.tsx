import type { Action } from "@celgate/contracts";
import { type CelgateClient, type ClientOptions, createClient, type Role } from "@celgate/sdk";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from "react";

export interface Session {
  token: string;
  /** The token's id, name, role and actions as the service reported them (`GET /v1/whoami`). */
  tokenId: string;
  name: string;
  role: Role;
  actions: Action[];
  client: CelgateClient;
  /**
   * Another client for this token, with other limits for one kind of call (a stored report's
   * larger answer, lib/reports.ts): a 401 to it ends the session as one to `client` does.
   * `observe` sees each answer as it arrives (its headers), before its body is read;
   * `progress` is told how much of each answer's body has arrived (see countBody).
   */
  clientWith(options: ClientLimits): CelgateClient;
}

/** The options a page may set on a session's other client (see Session.clientWith). */
export type ClientLimits = Pick<ClientOptions, "maxResponseBytes" | "timeoutMs" | "deadlineMs"> & {
  observe?: (response: Response) => void;
  progress?: OnProgress;
};

/**
 * Told how many bytes of an answer's body have arrived, and of how many when the service declared
 * it (Content-Length without a Content-Encoding: a compressed answer's length is not the bytes
 * the body yields). Called with 0 when the headers arrive, then as each chunk does.
 */
export type OnProgress = (received: number, total: number | undefined) => void;

/**
 * The same answer, its body counted by `progress` as the reader takes it: a pass-through stream,
 * so nothing is held twice. Status and headers are kept (the SDK reads no other property).
 */
export function countBody(res: Response, progress: OnProgress): Response {
  if (!res.body) return res;
  const length = Number(res.headers.get("content-length") ?? Number.NaN);
  const encoding = res.headers.get("content-encoding");
  const total =
    Number.isSafeInteger(length) && length >= 0 && (encoding === null || encoding === "identity")
      ? length
      : undefined;
  let received = 0;
  progress(received, total);
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(received, total);
      controller.enqueue(chunk);
    },
  });
  return new Response(res.body.pipeThrough(counter), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

interface SessionContextValue {
  session: Session | null;
  /**
   * Why the last session ended without the reader signing out (the service refused its token), or
   * the reason a sign-out gave (the reader revoked their own token).
   */
  ended: string | null;
  /** Checks the token with the service and keeps it for this tab; throws what the SDK throws. */
  signIn(token: string): Promise<void>;
  /** Forgets the token; `reason`, when given, is shown on the sign-in form as `ended` is. */
  signOut(reason?: string): void;
}

// The token lives in sessionStorage: this tab only, gone when it closes.
const KEY = "celgate.session";

/** Told of every 401 the service answers a session's client, with the token that was refused. */
type OnRefused = (token: string) => void;

/**
 * A client of the service at `baseUrl` for `token` as the console makes them: one retry, `limits`
 * over the SDK's defaults, `onRefused` told of each 401, `observe` shown each answer and
 * `progress` told how much of its body has arrived.
 */
export const sessionClient = (
  baseUrl: string,
  token: string,
  onRefused?: OnRefused,
  { observe, progress, ...limits }: ClientLimits = {},
) =>
  createClient({
    baseUrl,
    token,
    retries: 1,
    ...limits,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401) onRefused?.(token);
      observe?.(res);
      return progress ? countBody(res, progress) : res;
    },
  });

const clientFor = (token: string, onRefused?: OnRefused, limits?: ClientLimits) =>
  sessionClient(window.location.origin, token, onRefused, limits);

/** The session's clients for `token`, each telling `onRefused` of a 401. */
const clientsFor = (token: string, onRefused: OnRefused) => ({
  client: clientFor(token, onRefused),
  clientWith: (limits: ClientLimits) => clientFor(token, onRefused, limits),
});

function restore(onRefused: OnRefused): Session | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Omit<
      Session,
      "client" | "clientWith"
    > | null;
    // a session saved before actions and the token's id were kept signs in again
    return saved && Array.isArray(saved.actions) && typeof saved.tokenId === "string"
      ? { ...saved, ...clientsFor(saved.token, onRefused) }
      : null;
  } catch {
    return null;
  }
}

const ENDED =
  "Your session has ended: the service no longer accepts its token (it expired or was revoked). Sign in again.";

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [ended, setEnded] = useState<string | null>(null);
  // The token in force, read by the 401 handler: a late answer to a session already left (signed
  // out, or signed in again with another token) ends nothing.
  const current = useRef<string | null>(null);
  // A 401 mid-session means the service no longer takes the token: forget it and show the sign-in
  // form with the reason. The form itself calls nothing on its own, so this cannot loop.
  const onRefused = useCallback((token: string) => {
    if (current.current !== token) return;
    current.current = null;
    sessionStorage.removeItem(KEY);
    setSession(null);
    setEnded(ENDED);
  }, []);
  const [session, setSession] = useState<Session | null>(() => restore(onRefused));
  current.current = session?.token ?? null;
  const signIn = useCallback(
    async (token: string) => {
      // checked by a client without the handler: a wrong token is the form's error, not an ended session
      const { id: tokenId, name, role, actions } = await clientFor(token).whoami();
      // the console is served by the service it talks to, which always says the id (the SDK
      // reads it as optional for older services): without it, Revoke could not warn about the
      // session's own token
      if (tokenId === undefined) throw new Error("the service did not say this token's id (GET /v1/whoami)");
      sessionStorage.setItem(KEY, JSON.stringify({ token, tokenId, name, role, actions }));
      current.current = token;
      setEnded(null);
      setSession({ token, tokenId, name, role, actions, ...clientsFor(token, onRefused) });
    },
    [onRefused],
  );
  const signOut = useCallback((reason?: string) => {
    current.current = null;
    sessionStorage.removeItem(KEY);
    setEnded(reason ?? null);
    setSession(null);
  }, []);
  const value = useMemo(() => ({ session, ended, signIn, signOut }), [session, ended, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionContext(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSessionContext outside SessionProvider");
  return value;
}

/** The signed-in session; pages under the signed-in layout only. */
export function useSession(): Session {
  const { session } = useSessionContext();
  if (!session) throw new Error("useSession without a session");
  return session;
}

/** Whether the session's token may take an action, as the service said at sign-in (it still enforces it). */
export function can(session: Session, what: Action): boolean {
  return session.actions.includes(what);
}
