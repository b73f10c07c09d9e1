import { InputError } from "../errors.js";

export async function exportCommand(_argv: string[]): Promise<number> {
  throw new InputError("export vap: not available in this build yet");
}
