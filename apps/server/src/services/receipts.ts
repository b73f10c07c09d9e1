import { createHash } from "node:crypto";
import {
  DECISION_PREDICATE_TYPE,
  type DsseEnvelope,
  DsseEnvelopeSchema,
  type EvaluationSource,
  IN_TOTO_PAYLOAD_TYPE,
  pae,
  type ReceiptStatement,
  type ReceiptSubject,
  STATEMENT_TYPE,
  SUBJECT_ANNOTATION,
} from "@celgate/contracts";
import {
  type CompiledPolicySet,
  canonicalResourceJson,
  type EvaluationReport,
  isReferenceError,
  normalisedName,
  parseImageReference,
  type Resource,
  resourceSubjectName,
  type Selector,
  selectPolicies,
} from "@celgate/core";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { evaluations } from "../db/schema.js";
import { problems } from "../lib/errors.js";
import type { SigningKeyService } from "./signing-keys.js";

/** What a receipt reads of a report: its head, and of each result what names a waiver. */
export type ReceiptReport = Pick<
  EvaluationReport,
  "id" | "decision" | "evaluatedAt" | "policySet" | "summary"
> & {
  results: readonly Pick<
    EvaluationReport["results"][number],
    "policy" | "outcome" | "exception" | "resource"
  >[];
};

/** What a receipt is made from: the recorded report and what the service knows beside it. */
export interface ReceiptInput {
  /** The report as recorded (with its id). */
  report: ReceiptReport;
  /** The resources evaluated, as given (not redacted: the deploy job holds these). */
  resources: readonly Resource[];
  /** The set the evaluation ran against, before selection, and the selection. */
  set: CompiledPolicySet;
  select?: Selector | undefined;
  policies?: readonly string[] | undefined;
  /** Stored version of each policy from the API. */
  versions: ReadonlyMap<string, number>;
  source: EvaluationSource;
  context: Record<string, unknown>;
  /** Image references of the resources. */
  images: readonly string[];
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** Subject name of a result's resource, as resourceSubjectName names the object. */
const refName = (r: { kind: string; namespace?: string | undefined; name: string }) =>
  `${r.kind}/${r.namespace ?? ""}/${r.name}`;

type StatementPolicies = ReceiptStatement["predicate"]["policySet"]["policies"];

/** The statement's list of a set's policies, made once per set and versions (frozen: shared by statements). */
const policyLists = new WeakMap<
  CompiledPolicySet,
  { versions: ReadonlyMap<string, number>; list: StatementPolicies }
>();

function policiesOf(set: CompiledPolicySet, versions: ReadonlyMap<string, number>): StatementPolicies {
  const known = policyLists.get(set);
  if (known?.versions === versions) return known.list;
  const list = Object.freeze(
    set.policies.map((p) => {
      const version = versions.get(p.name);
      return Object.freeze({ name: p.name, ...(version === undefined ? {} : { version }), digest: p.digest });
    }),
  ) as StatementPolicies;
  policyLists.set(set, { versions, list });
  return list;
}

/**
 * The in-toto statement of a recorded decision: a subject per resource (by the digest of its
 * canonical form, core's canonicalResourceJson) and per image digest the resources name, and
 * the celgate decision predicate. Throws (500) when the report is not a recorded one or names
 * a policy set other than the one given: a receipt must never claim what was not evaluated.
 */
export function buildStatement(input: ReceiptInput): ReceiptStatement {
  const { report } = input;
  if (!report.id) throw new Error("only a recorded evaluation gets a receipt");
  const selected = input.select !== undefined || (input.policies !== undefined && input.policies.length > 0);
  const evaluated = selected
    ? selectPolicies(input.set, { select: input.select, policies: input.policies }).set
    : input.set;
  if (evaluated.digest !== report.policySet.digest)
    throw new Error(`the report's policy set ${report.policySet.digest} is not the set ${evaluated.digest}`);
  const subject: ReceiptSubject[] = input.resources.map((r) => ({
    name: resourceSubjectName(r.object),
    digest: { sha256: sha256(canonicalResourceJson(r.object)) },
    annotations: { [SUBJECT_ANNOTATION]: "resource", apiVersion: String(r.object.apiVersion ?? "") },
  }));
  const seen = new Set<string>();
  for (const ref of input.images) {
    const parsed = parseImageReference(ref);
    if (isReferenceError(parsed) || !parsed.digest?.startsWith("sha256:")) continue;
    const name = normalisedName(parsed);
    const key = `${name}@${parsed.digest}`;
    if (seen.has(key)) continue;
    seen.add(key);
    subject.push({
      name,
      digest: { sha256: parsed.digest.slice("sha256:".length) },
      annotations: { [SUBJECT_ANNOTATION]: "image" },
    });
  }
  const exceptions = report.results
    .filter((r) => r.outcome === "waived" && r.exception)
    .map((r) => ({ name: r.exception as string, policy: r.policy, resource: refName(r.resource) }));
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: DECISION_PREDICATE_TYPE,
    predicate: {
      evaluationId: report.id,
      decision: report.decision,
      evaluatedAt: report.evaluatedAt,
      signedAt: new Date().toISOString(),
      source: input.source,
      policySet: { digest: evaluated.digest, policies: policiesOf(evaluated, input.versions) },
      exceptions,
      context: input.context,
      summary: { ...report.summary },
    },
  };
}

const PAYLOAD_TYPE_JSON = JSON.stringify(IN_TOTO_PAYLOAD_TYPE);

/**
 * JSON.stringify of `{payload, payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{keyid, sig}]}`
 * for a payload and signature in base64 (made by Buffer#toString("base64"): letters, digits,
 * `+`, `/` and `=`, none of which JSON escapes, so each is its own JSON text between quotes);
 * the key id, read from the database, is serialised as any string.
 */
export function envelopeJson(payloadBase64: string, keyid: string, sigBase64: string): string {
  return `{"payload":"${payloadBase64}","payloadType":${PAYLOAD_TYPE_JSON},"signatures":[{"keyid":${JSON.stringify(keyid)},"sig":"${sigBase64}"}]}`;
}

/** Receipts: signs a recorded decision, and reads a stored receipt back. */
export class ReceiptService {
  constructor(
    private readonly db: Db,
    readonly keys: SigningKeyService,
  ) {}

  /** The DSSE envelope of a recorded decision, signed with the key in use. Throws when it cannot sign. */
  async issue(input: ReceiptInput): Promise<DsseEnvelope> {
    return (await this.issueWithJson(input)).receipt;
  }

  /**
   * issue(), with the envelope's JSON text: the text JSON.stringify gives of it, made without
   * JSON.stringify scanning the base64 payload (kilobytes) character by character for escapes.
   */
  async issueWithJson(input: ReceiptInput): Promise<{ receipt: DsseEnvelope; json: string }> {
    // a Buffer is the Uint8Array the encoder would make; its base64 is the same text, made natively
    const payload = Buffer.from(JSON.stringify(buildStatement(input)), "utf8");
    const { kid, sig } = await this.keys.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload));
    const receipt = {
      payload: payload.toString("base64"),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ keyid: kid, sig: sig.toString("base64") }],
    };
    return { receipt, json: envelopeJson(receipt.payload, kid, receipt.signatures[0]!.sig) };
  }

  /** The receipt stored with a recorded evaluation; 404 when there is no such evaluation or it has none. */
  async get(id: string): Promise<DsseEnvelope> {
    const [row] = await this.db
      .select({ receipt: sql<unknown>`${evaluations.report} -> 'receipt'` })
      .from(evaluations)
      .where(eq(evaluations.id, id));
    if (!row) throw problems.notFound(`no evaluation with id ${id}`);
    const parsed = DsseEnvelopeSchema.safeParse(row.receipt);
    if (!parsed.success)
      throw problems.notFound(
        `evaluation ${id} has no receipt (it was recorded before receipts were signed)`,
      );
    return parsed.data;
  }
}
