import { InputError } from "../errors.js";

export async function images(_argv: string[]): Promise<number> {
  throw new InputError("images push: not available in this build yet");
}
