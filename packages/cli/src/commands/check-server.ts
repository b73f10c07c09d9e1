import type { EvaluationReport } from "@celgate/core";
import { InputError } from "../errors.js";

export interface ServerCheckInput {
  paths: string[];
  imagePaths: string[];
  select?: string;
  params: Record<string, Record<string, unknown>>;
  context: Record<string, string>;
  includeSkipped: boolean;
}

export async function checkOnServer(
  _url: string,
  _token: string | undefined,
  _input: ServerCheckInput,
): Promise<EvaluationReport> {
  throw new InputError("check --server: not available in this build yet");
}
