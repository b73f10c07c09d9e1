import type { ApiError } from "@celgate/sdk";
import { isApiError, isNetworkError } from "@celgate/sdk";

/** A timestamp as the reader's local date and time, to the second. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { hour12: false });
}

/** A duration in seconds, roughly: "12 min", "3 h", "9 d". */
export function age(seconds: number): string {
  const abs = Math.abs(seconds) * 1000;
  const [n, unit] =
    abs < 3_600_000
      ? [Math.round(abs / 60_000), "min"]
      : abs < 86_400_000
        ? [Math.round(abs / 3_600_000), "h"]
        : [Math.round(abs / 86_400_000), "d"];
  return `${n} ${unit}`;
}

/** How long ago, roughly: "3 h ago", "in 2 d". */
export function relative(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  return ms < 0 ? `${age(ms / 1000)} ago` : `in ${age(ms / 1000)}`;
}

/** A readable sentence for any error a call may throw. */
export function errorText(error: unknown): string {
  if (isApiError(error)) {
    const e = error as ApiError;
    return `${e.problem.title}${e.problem.detail ? `: ${e.problem.detail}` : ""} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ""})`;
  }
  if (isNetworkError(error)) return `The service could not be reached: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Offers `text` as a file download. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** `kind namespace/name` of a resource reference. */
export function resourceLabel(r: { kind: string; namespace?: string | undefined; name: string }): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
}
