import { type CelgateClient, createClient, type Role } from "@celgate/sdk";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";

/** What each role may do in the console; the service enforces the same on every route. */
export const CAN = {
  evaluate: ["admin", "author", "evaluator"],
  author: ["admin", "author"],
  admin: ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export interface Session {
  token: string;
  role: Role;
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
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as { token: string; role: Role } | null;
    return saved ? { ...saved, client: clientFor(saved.token) } : null;
  } catch {
    return null;
  }
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(restore);
  const signIn = useCallback(async (token: string) => {
    const client = clientFor(token);
    const role = await client.role();
    sessionStorage.setItem(KEY, JSON.stringify({ token, role }));
    setSession({ token, role, client });
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

export function can(session: Session, what: keyof typeof CAN): boolean {
  return (CAN[what] as readonly Role[]).includes(session.role);
}
