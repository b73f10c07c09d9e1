/**
 * Files under test/fixtures/, shared by the tests of several packages (hand-written, small; see
 * the README beside each folder).
 */
import { join } from "node:path";
import { repositoryRoot } from "./corpora.js";

/** The path of `test/fixtures/<segments>`, e.g. `fixture("image-scans", "trivy-web.json")`. */
export function fixture(...segments: string[]): string {
  return join(repositoryRoot, "test", "fixtures", ...segments);
}
