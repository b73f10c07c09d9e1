import type { Db, Tx } from "../db/client.js";
import { ifMatchSatisfied } from "../lib/etag.js";
import { writeAudit } from "./audit.js";
import { type DomainError, refuse } from "./errors.js";
import { bumpGeneration, type PolicySetRuntime } from "./policy-set.js";

/** A change of a versioned resource, as its version row and its audit action name it. */
export type Change = "create" | "update" | "delete";

/** What a stored, versioned row has: the fields the If-Match / version sequence reads. */
export interface VersionedRow {
  name: string;
  version: number;
  etag: string;
}

/**
 * How one kind of versioned resource (a policy, an exception) is stored. The sequence around
 * these steps is the same for every kind and lives in `VersionedStore`.
 */
export interface VersionedResource<Row extends VersionedRow, Doc> {
  kind: "policy" | "exception";
  /** The current row of `name`, locked for the rest of the transaction; undefined when none. */
  lock(tx: Tx, name: string): Promise<Row | undefined>;
  /** Why the API may not change this stored row (a policy owned by the repository), or undefined. */
  readOnly?(row: Row, change: Change): DomainError | undefined;
  /** Why `name` cannot be created over an existing row. */
  exists(row: Row): DomainError;
  /** The version a change of `name` gets (`current` is absent for a create). */
  nextVersion(tx: Tx, name: string, current: Row | undefined): Promise<number>;
  /** Inserts a new row; undefined when a row of the name appeared meanwhile. */
  insert(
    tx: Tx,
    values: { name: string; version: number; doc: Doc; actor: string },
  ): Promise<Row | undefined>;
  /** Replaces the row whose ETag is still `current.etag`; undefined when another writer won. */
  update(
    tx: Tx,
    current: Row,
    values: { version: number; doc: Doc; actor: string },
  ): Promise<Row | undefined>;
  /** Deletes the row whose ETag is still `current.etag`; false when another writer won. */
  delete(tx: Tx, current: Row): Promise<boolean>;
  /** History besides the audit row, in the same transaction (policies: the version row). */
  history?(
    tx: Tx,
    entry: {
      name: string;
      version: number;
      change: Change;
      actor: string;
      doc: Doc | null;
      current: Row | undefined;
    },
  ): Promise<void>;
  /** The audit row's detail of a change. */
  auditDetail(entry: {
    change: Change;
    version: number;
    current: Row | undefined;
    doc: Doc | null;
  }): Record<string, unknown>;
}

/** 428 unless the request names the version it changes. */
export function requireIfMatch(ifMatch: string | undefined): asserts ifMatch is string {
  if (!ifMatch)
    throw refuse("precondition-required", "send If-Match with the ETag of the version you are replacing");
}

/**
 * The one sequence of every API change of a policy or an exception, each in one transaction:
 * lock the current row, check it may change and If-Match (412 on a stale ETag), take the next
 * version, write the row guarded by its ETag (412 when a concurrent writer won), write the
 * history and the audit row, and bump the policy generation so every replica reloads; after
 * the commit, this instance's policy set is re-read on its next use.
 */
export class VersionedStore<Row extends VersionedRow, Doc> {
  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
    private readonly resource: VersionedResource<Row, Doc>,
  ) {}

  /** Stores a new resource; a conflict (409) when one of the name exists. */
  async create(actor: string, name: string, doc: Doc): Promise<Row> {
    const r = this.resource;
    const row = await this.db.transaction(async (tx) => {
      const existing = await r.lock(tx, name);
      if (existing) throw r.exists(existing);
      const version = await r.nextVersion(tx, name, undefined);
      const inserted = await r.insert(tx, { name, version, doc, actor });
      if (!inserted) {
        const winner = await r.lock(tx, name);
        throw winner
          ? r.exists(winner)
          : refuse("already-exists", `a ${r.kind} named ${name} already exists`);
      }
      await this.#record(tx, { name, version, change: "create", actor, doc, current: undefined });
      return inserted;
    });
    this.runtime.invalidate();
    return row;
  }

  /**
   * Replaces a resource. `ifMatch` is required (428 without, checked before `doc` is read, so a
   * request without it is refused whatever its body); `doc` reads the new document.
   */
  async replace(actor: string, name: string, ifMatch: string | undefined, doc: () => Doc): Promise<Row> {
    requireIfMatch(ifMatch);
    const document = doc();
    const r = this.resource;
    const row = await this.db.transaction(async (tx) => {
      const current = await this.#current(tx, name, ifMatch, "update");
      const version = await r.nextVersion(tx, name, current);
      const updated = await r.update(tx, current, { version, doc: document, actor });
      if (!updated) throw concurrent(r.kind, name);
      await this.#record(tx, { name, version, change: "update", actor, doc: document, current });
      return updated;
    });
    this.runtime.invalidate();
    return row;
  }

  /** Deletes a resource; If-Match is checked when given. */
  async remove(actor: string, name: string, ifMatch: string | undefined): Promise<void> {
    const r = this.resource;
    await this.db.transaction(async (tx) => {
      const current = await this.#current(tx, name, ifMatch, "delete");
      const version = await r.nextVersion(tx, name, current);
      if (!(await r.delete(tx, current))) throw concurrent(r.kind, name);
      await this.#record(tx, { name, version, change: "delete", actor, doc: null, current });
    });
    this.runtime.invalidate();
  }

  async #current(tx: Tx, name: string, ifMatch: string | undefined, change: Change): Promise<Row> {
    const r = this.resource;
    const current = await r.lock(tx, name);
    if (!current) throw refuse("not-found", `no ${r.kind} named ${name}`);
    const readOnly = r.readOnly?.(current, change);
    if (readOnly) throw readOnly;
    if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, current.etag))
      throw refuse(
        "precondition-failed",
        `If-Match ${ifMatch} does not match the current ETag ${current.etag}`,
      );
    return current;
  }

  async #record(
    tx: Tx,
    entry: {
      name: string;
      version: number;
      change: Change;
      actor: string;
      doc: Doc | null;
      current: Row | undefined;
    },
  ): Promise<void> {
    const r = this.resource;
    await r.history?.(tx, entry);
    await writeAudit(tx, {
      actor: entry.actor,
      action: `${r.kind}.${entry.change}`,
      targetKind: r.kind,
      targetName: entry.name,
      detail: r.auditDetail(entry),
    });
    await bumpGeneration(tx);
  }
}

const concurrent = (kind: string, name: string) =>
  refuse("precondition-failed", `${kind} ${name} was changed concurrently; read it again`);
