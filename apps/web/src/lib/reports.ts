import { type CelgateClient, type EvaluationReport, UnexpectedResponseError } from "@celgate/sdk";
import type { ClientLimits, OnProgress } from "../session.js";

/**
 * The longest stored report the console reads, in bytes of its JSON answer: 256 MiB. The service
 * sets no size on what it stores (a bundle's report runs to about 3.4 times its YAML: 10,000
 * workloads with the built-in library make about 107 MB), so the bound is the browser's: the
 * answer is read as one string (at most 2^29 - 24 characters in Chromium's V8, about 512 MiB) and
 * then held as objects and as the page that shows them, several times its size again; past
 * 256 MiB a tab risks running out of memory and going blank. The SDK's own default (64 MiB, for
 * deploy tools) is far below what the service stores. A longer report is named with its size and
 * where to get it instead (ReportTooLargeError).
 */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * How long one attempt to read a report may take, in milliseconds: a report of a hundred
 * megabytes takes longer to produce and to arrive than the 10 s the console's other calls get.
 */
export const REPORT_TIMEOUT_MS = 120_000;

/** `107.4 MB`: a size in bytes as a reader says it (decimal units, as a download shows it). */
export function byteSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** A stored report longer than MAX_REPORT_BYTES: the message says how large and how to get it. */
export class ReportTooLargeError extends Error {
  override name = "ReportTooLargeError";

  constructor(
    readonly id: string,
    /** The answer's size as the service declared it (Content-Length), when it did. */
    readonly bytes: number | undefined,
    readonly origin: string,
  ) {
    const size =
      bytes === undefined
        ? `is larger than ${byteSize(MAX_REPORT_BYTES)}`
        : `is ${byteSize(bytes)}, more than the ${byteSize(MAX_REPORT_BYTES)}`;
    super(
      `This report ${size} a browser tab can safely hold, so the console does not show it. ` +
        `Get it from the API with your token: GET /v1/evaluations/${id} (for example ` +
        `curl -H "Authorization: Bearer $CELGATE_TOKEN" -o report.json ${origin}/v1/evaluations/${encodeURIComponent(id)}), ` +
        `or with the SDK's evaluations.get("${id}") and a maxResponseBytes above its size.`,
    );
  }

  static is(value: unknown): value is ReportTooLargeError {
    return value instanceof Error && value.name === "ReportTooLargeError";
  }
}

/** Whether `error` is the SDK's refusal of an answer longer than the client's maxResponseBytes. */
export function isTooLarge(error: unknown): boolean {
  return UnexpectedResponseError.is(error) && error.reason === "too-large";
}

/** `12.3 MB of 107.4 MB (11%)` received so far, or `12.3 MB` when the total is not known. */
export function progressText(received: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return byteSize(received);
  return `${byteSize(received)} of ${byteSize(total)} (${Math.floor((100 * Math.min(received, total)) / total)}%)`;
}

/**
 * Reads the stored report `id` with a client that takes answers up to MAX_REPORT_BYTES
 * (`open` makes it: a session's `clientWith`), telling `progress` how much has arrived. Throws
 * ReportTooLargeError for a longer one, and what the SDK throws otherwise.
 */
export async function loadReport(
  open: (limits: ClientLimits) => CelgateClient,
  origin: string,
  id: string,
  signal?: AbortSignal,
  progress?: OnProgress,
): Promise<EvaluationReport> {
  let declared: number | undefined;
  const client = open({
    maxResponseBytes: MAX_REPORT_BYTES,
    timeoutMs: REPORT_TIMEOUT_MS,
    deadlineMs: 2 * REPORT_TIMEOUT_MS,
    ...(progress ? { progress } : {}),
    observe: (response) => {
      const length = Number(response.headers.get("content-length") ?? Number.NaN);
      declared = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    },
  });
  try {
    return await client.evaluations.get(id, signal ? { signal } : {});
  } catch (error) {
    if (isTooLarge(error)) throw new ReportTooLargeError(id, declared, origin);
    throw error;
  }
}
