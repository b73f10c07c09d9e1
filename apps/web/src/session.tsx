import type { Action } from "@celgate/contracts";
import { type CelgateClient, createClient, type Role } from "@celgate/sdk";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";

export interface Session {
  token: string;
  /** The token's name, role and actions as the service reported them (`GET /v1/whoami`). */
  name: string;
  role: Role;
  actions: Action[];
  client: CelgateClient;
}

interface SessionContextValue {
  session: Session | null;
  /** Checks the token with the service and keeps it for this tab; throws what the SDK throws. */
  signIn(token: string): Promise<void>;
  signOut(): void;
}

// The token lives in sessionStorage: this tab only, gone when it closes.
const KEY = "celgate.session";

const clientFor = (token: string) => createClient({ baseUrl: window.location.origin, token, retries: 1 });

function restore(): Session | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Omit<Session, "client"> | null;
    // a session saved before actions were kept signs in again
    return saved && Array.isArray(saved.actions) ? { ...saved, client: clientFor(saved.token) } : null;
  } catch {
    return null;
  }
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(restore);
  const signIn = useCallback(async (token: string) => {
    const client = clientFor(token);
    const { name, role, actions } = await client.whoami();
    sessionStorage.setItem(KEY, JSON.stringify({ token, name, role, actions }));
    setSession({ token, name, role, actions, client });
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY);
    setSession(null);
  }, []);
  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
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
