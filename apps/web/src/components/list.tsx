/**
 * The list pages' one component: filters declared as data, kept in the page's URL (so a view
 * can be shared and survives a reload), cursor pagination with first / previous / next, the
 * loading, error and empty states, and a table that reads well with a keyboard and a screen
 * reader. A page states its columns, its filters and how to load one page of rows.
 */
import type { CelgateClient, Page } from "@celgate/sdk";
import { type FormEvent, type ReactNode, type Ref, useEffect, useId, useMemo, useRef } from "react";
import { useLocation, useSearchParams } from "react-router";
import { visibleText } from "../lib/invisible.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";
import { ErrorBox } from "./common.js";
import { literal } from "./literal.js";

/** A choice of a select: its value in the URL and, when they differ, what the reader sees. */
export type FilterOption = string | { value: string; label: string };

interface FilterBase<N extends string> {
  /** The query parameter of the page's URL (and usually of the API). */
  name: N;
  label: string;
}

/**
 * One filter of a list. `pairs` is a group of `<name>.<key>=<value>` parameters typed as
 * `key=value` words (the context filters of history); `datetime` keeps an ISO instant in the
 * URL and shows it in the reader's time zone; `checkbox` is `true` or absent.
 */
export type Filter<N extends string = string> =
  | (FilterBase<N> & { kind: "text"; size?: number; placeholder?: string })
  | (FilterBase<N> & {
      kind: "select";
      options: readonly FilterOption[];
      /** The label of the empty choice ("any"); without it every choice has a value. */
      any?: string;
      /** The choice shown when the URL has none (the API's own default). */
      initial?: string;
    })
  | (FilterBase<N> & { kind: "checkbox" })
  | (FilterBase<N> & { kind: "datetime" })
  | (FilterBase<N> & { kind: "pairs" });

/** The values of a list's filters as the URL holds them: strings, and a record per `pairs` filter. */
export type FilterValues<F extends readonly Filter[]> = {
  [K in F[number] as K["kind"] extends "pairs" ? never : K["name"]]?: string;
} & {
  [K in F[number] as K["kind"] extends "pairs" ? K["name"] : never]?: Record<string, string>;
};

/** What `load` is asked for: the filters, the page size and the cursor of the page. */
export interface ListQuery<F extends readonly Filter[]> {
  filters: FilterValues<F>;
  limit: number;
  cursor?: string;
}

export interface Column<T> {
  header: string;
  /** A string is shown as a `Literal` (invisible characters marked); elements show their own text so. */
  cell: (row: T) => ReactNode;
  /** This column names the row: its cells are row headers for screen readers. */
  rowHeader?: boolean;
}

export interface ListViewProps<T, F extends readonly Filter[]> {
  /** The rows, plural and lower case ("evaluations"): names the form, the pager and the count. */
  noun: string;
  /** The table's caption, read by screen readers ("Evaluations, newest first"). */
  caption: string;
  filters: F;
  columns: readonly Column<T>[];
  /** One page of rows; errors are shown, with a way to try again. */
  load: (client: CelgateClient, query: ListQuery<F>, signal: AbortSignal) => Promise<Page<T>>;
  rowKey: (row: T) => string;
  rowClass?: (row: T) => string | undefined;
  /** Said when no row matches ("No evaluation matches."). */
  empty: string;
  /** Rows per page unless the URL says (`limit`); 50 by default. */
  pageSize?: number;
  /** Changing it loads the page again (after the page changed what the list shows). */
  refresh?: number;
}

/** The page sizes offered; the URL may ask for any size the API takes (1 to 500). */
const PAGE_SIZES = [10, 25, 50, 100, 200] as const;
const MAX_LIMIT = 500;

/** The cursors of the pages before this one ("" for the first), kept in the history entry's state. */
interface PagerState {
  listCursors?: string[];
}

const optionValue = (o: FilterOption) => (typeof o === "string" ? o : o.value);
const optionLabel = (o: FilterOption) => (typeof o === "string" ? o : o.label);

/** An ISO instant as `<input type=datetime-local>` wants it, in the reader's time zone; "" if none. */
export function isoToLocal(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** A `datetime-local` value (the reader's time zone) as an ISO instant; undefined if empty or invalid. */
export function localToIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The filters' values in `params`. Never throws; values the API refuses come back as its error. */
export function readFilters<F extends readonly Filter[]>(
  filters: F,
  params: URLSearchParams,
): FilterValues<F> {
  const out: Record<string, string | Record<string, string>> = {};
  for (const f of filters) {
    if (f.kind === "pairs") {
      const prefix = `${f.name}.`;
      const pairs: Record<string, string> = {};
      for (const [k, v] of params)
        if (k.startsWith(prefix) && k.length > prefix.length) pairs[k.slice(prefix.length)] = v;
      if (Object.keys(pairs).length) out[f.name] = pairs;
      continue;
    }
    const v = params.get(f.name)?.trim();
    if (v) out[f.name] = v;
  }
  return out as FilterValues<F>;
}

/** The URL parameters of a submitted filter form (the cursor and page size are the caller's). */
function formToParams(filters: readonly Filter[], form: FormData): URLSearchParams {
  const next = new URLSearchParams();
  for (const f of filters) {
    const raw = String(form.get(f.name) ?? "").trim();
    if (f.kind === "pairs") {
      for (const word of raw.split(/[\s,]+/).filter(Boolean)) {
        const eq = word.indexOf("=");
        if (eq > 0) next.set(`${f.name}.${word.slice(0, eq)}`, word.slice(eq + 1));
      }
    } else if (f.kind === "datetime") {
      const iso = localToIso(raw);
      if (iso) next.set(f.name, iso);
    } else if (f.kind === "checkbox") {
      if (form.get(f.name)) next.set(f.name, "true");
    } else if (raw) next.set(f.name, raw);
  }
  return next;
}

/** The page size in `params`, if it is one the API takes. */
function readLimit(params: URLSearchParams, fallback: number): number {
  const raw = params.get("limit");
  const n = raw && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return n >= 1 && n <= MAX_LIMIT ? n : fallback;
}

function FilterField({ filter, values }: { filter: Filter; values: FilterValues<readonly Filter[]> }) {
  const current = (values as Record<string, string | Record<string, string> | undefined>)[filter.name];
  const text = typeof current === "string" ? current : "";
  switch (filter.kind) {
    case "text":
      return (
        <label>
          {filter.label}
          <input
            name={filter.name}
            defaultValue={text}
            size={filter.size ?? 16}
            placeholder={filter.placeholder}
          />
        </label>
      );
    case "select": {
      const known = filter.options.some((o) => optionValue(o) === text);
      return (
        <label>
          {filter.label}
          <select name={filter.name} defaultValue={text || filter.initial || ""}>
            {filter.any !== undefined ? <option value="">{filter.any}</option> : null}
            {filter.options.map((o) => (
              <option key={optionValue(o)} value={optionValue(o)}>
                {optionLabel(o)}
              </option>
            ))}
            {/* a value the URL holds but the choices lack stays visible, and the API says what is wrong */}
            {text && !known ? <option value={text}>{visibleText(text)}</option> : null}
          </select>
        </label>
      );
    }
    case "checkbox":
      return (
        <label className="check">
          <input type="checkbox" name={filter.name} defaultChecked={text === "true"} /> {filter.label}
        </label>
      );
    case "datetime":
      return (
        <label>
          {filter.label}
          <input type="datetime-local" name={filter.name} defaultValue={isoToLocal(text)} />
        </label>
      );
    case "pairs": {
      const pairs = typeof current === "object" ? current : {};
      return (
        <label>
          {filter.label}
          <input
            name={filter.name}
            defaultValue={Object.entries(pairs)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}
          />
        </label>
      );
    }
  }
}

/** A table with a caption, column headers and optional row headers, scrollable by keyboard when wide. */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  rowClass,
  regionRef,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  rowClass?: ((row: T) => string | undefined) | undefined;
  regionRef?: Ref<HTMLElement>;
}) {
  const captionId = useId();
  return (
    // A wide table scrolls inside this region, which the keyboard can reach and scroll.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable (WCAG 2.1.1)
    <section className="table-scroll" aria-labelledby={captionId} tabIndex={0} ref={regionRef}>
      <table>
        <caption id={captionId} className="visually-hidden">
          {caption}
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className={rowClass?.(row)}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th scope="row" key={c.header}>
                    {literal(c.cell(row))}
                  </th>
                ) : (
                  <td key={c.header}>{literal(c.cell(row))}</td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A filtered, paged list whose whole state is in the URL: see the file's comment. */
export function ListView<T, F extends readonly Filter[]>(props: ListViewProps<T, F>) {
  const { noun, caption, filters, columns, rowKey, rowClass, empty, pageSize = 50, refresh = 0 } = props;
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const earlier = ((location.state as PagerState | null)?.listCursors ?? []).filter(
    (c): c is string => typeof c === "string",
  );
  const key = params.toString();
  const query = useMemo<ListQuery<F>>(() => {
    const cursor = params.get("cursor");
    return {
      filters: readFilters(filters, params),
      limit: readLimit(params, pageSize),
      ...(cursor ? { cursor } : {}),
    };
    // the URL's text stands for `params`; `filters` is declared once per page
  }, [key, pageSize]);
  // the latest `load`: pages may pass a new function on every render
  const loadRef = useRef(props.load);
  loadRef.current = props.load;
  const [page, reload] = useLoad(
    (signal) => loadRef.current(client, query, signal),
    [client, query, refresh],
  );

  // After a page change, the rows' region takes the focus, so the keyboard starts at the new rows.
  const region = useRef<HTMLElement>(null);
  const focusRows = useRef(false);
  useEffect(() => {
    if (page.state !== "loading" && focusRows.current) {
      focusRows.current = false;
      region.current?.focus();
    }
  }, [page.state]);

  const go = (cursor: string | undefined, cursors: string[]) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set("cursor", cursor);
    else next.delete("cursor");
    focusRows.current = true;
    setParams(next, { state: { listCursors: cursors } satisfies PagerState });
  };
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const next = formToParams(filters, new FormData(e.currentTarget));
    if (params.get("limit")) next.set("limit", params.get("limit")!);
    setParams(next);
  };
  const setLimit = (limit: string) => {
    const next = new URLSearchParams(params);
    next.delete("cursor");
    if (Number(limit) === pageSize) next.delete("limit");
    else next.set("limit", limit);
    setParams(next);
  };
  const cursor = query.cursor;
  // the page's number is known when it was reached from the first page in this tab
  const pageNumber = cursor ? (earlier.length ? earlier.length + 1 : undefined) : 1;
  const sizes = PAGE_SIZES.some((n) => n === query.limit) ? PAGE_SIZES : [...PAGE_SIZES, query.limit];
  const label = `Filter ${noun}`;

  return (
    <div className="list">
      {filters.length ? (
        <form className="filters" onSubmit={submit} aria-label={label} key={key}>
          {filters.map((f) => (
            <FilterField key={f.name} filter={f} values={query.filters} />
          ))}
          <div className="buttons">
            <button type="submit">Filter</button>
            <button type="button" onClick={() => setParams(new URLSearchParams())}>
              Clear
            </button>
          </div>
        </form>
      ) : null}
      <div aria-busy={page.state === "loading"}>
        {page.state === "loading" ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : page.state === "error" ? (
          <>
            <ErrorBox error={page.error} />
            <button type="button" onClick={reload}>
              Try again
            </button>
          </>
        ) : page.value.items.length === 0 ? (
          <p role="status">{empty}</p>
        ) : (
          <DataTable
            caption={caption}
            columns={columns}
            rows={page.value.items}
            rowKey={rowKey}
            rowClass={rowClass}
            regionRef={region}
          />
        )}
      </div>
      <nav className="pager" aria-label={`Pages of ${noun}`}>
        <button type="button" disabled={!cursor} onClick={() => go(undefined, [])}>
          First page
        </button>
        <button
          type="button"
          disabled={!cursor || earlier.length === 0}
          onClick={() => go(earlier[earlier.length - 1] || undefined, earlier.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={page.state !== "done" || !page.value.nextCursor}
          onClick={() => {
            if (page.state === "done" && page.value.nextCursor)
              go(page.value.nextCursor, [...earlier, cursor ?? ""]);
          }}
        >
          Next page
        </button>
        <span className="muted" role="status">
          {page.state === "done"
            ? `${pageNumber ? `Page ${pageNumber}` : "A later page"}: ${page.value.items.length} ${noun}`
            : ""}
        </span>
        <label className="page-size">
          Rows per page{" "}
          <select value={String(query.limit)} onChange={(e) => setLimit(e.target.value)}>
            {sizes.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </nav>
    </div>
  );
}
