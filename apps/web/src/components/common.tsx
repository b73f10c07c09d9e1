import type { ReactNode } from "react";
import { errorText } from "../lib/format.js";
import type { Loaded } from "../lib/use-load.js";
import { Literal } from "./literal.js";

export function ErrorBox({ error }: { error: unknown }) {
  return (
    <div className="error" role="alert">
      <Literal text={errorText(error)} />
    </div>
  );
}

/**
 * Renders a load's states: a status line while loading (or `loading`, when the page says more),
 * the error, or the value.
 */
export function Show<T>({
  loaded,
  loading,
  children,
}: {
  loaded: Loaded<T>;
  loading?: ReactNode;
  children: (value: T) => ReactNode;
}) {
  if (loaded.state === "loading")
    return loading !== undefined ? (
      loading
    ) : (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  if (loaded.state === "error") return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

export function DecisionBadge({ decision }: { decision: string }) {
  return <span className={`badge badge-${decision}`}>{decision}</span>;
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return <span className={`badge outcome-${outcome}`}>{outcome}</span>;
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {actions ? <div className="actions">{actions}</div> : null}
    </div>
  );
}
