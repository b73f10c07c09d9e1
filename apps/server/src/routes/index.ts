import type { RouteDef } from "../lib/route.js";
import { healthz, readyz } from "./system/health.js";
import metrics from "./system/metrics.js";
import createAdmission from "./v1/admission/create.js";
import listAudit from "./v1/audit/list.js";
import createEvaluation from "./v1/evaluations/create.js";
import getEvaluation from "./v1/evaluations/get.js";
import listEvaluations from "./v1/evaluations/list.js";
import getReceipt from "./v1/evaluations/receipt.js";
import evaluationStats from "./v1/evaluations/stats.js";
import createException from "./v1/exceptions/create.js";
import deleteException from "./v1/exceptions/delete.js";
import getException from "./v1/exceptions/get.js";
import listExceptions from "./v1/exceptions/list.js";
import updateException from "./v1/exceptions/update.js";
import listFindings from "./v1/findings/list.js";
import getImage from "./v1/images/get.js";
import listImages from "./v1/images/list.js";
import pushImages from "./v1/images/push.js";
import putImage from "./v1/images/put.js";
import listInventory from "./v1/inventory/list.js";
import listKeys from "./v1/keys/list.js";
import rotateKey from "./v1/keys/rotate.js";
import createPolicy from "./v1/policies/create.js";
import deletePolicy from "./v1/policies/delete.js";
import getPolicy from "./v1/policies/get.js";
import listPolicies from "./v1/policies/list.js";
import { listTests, runTests } from "./v1/policies/tests.js";
import updatePolicy from "./v1/policies/update.js";
import validatePolicies from "./v1/policies/validate.js";
import { getVersion, listVersions } from "./v1/policies/versions.js";
import createReplay from "./v1/replays/create.js";
import createToken from "./v1/tokens/create.js";
import deleteToken from "./v1/tokens/delete.js";
import listTokens from "./v1/tokens/list.js";
import createWebhook from "./v1/webhooks/create.js";
import deleteWebhook from "./v1/webhooks/delete.js";
import listWebhooks from "./v1/webhooks/list.js";
import whoami from "./v1/whoami/get.js";

/**
 * Every endpoint of the service. The order matters only where paths overlap: the static
 * `/v1/policies:validate` comes before `/v1/policies/{name}`.
 */
export const ROUTES: readonly RouteDef[] = [
  healthz,
  readyz,
  metrics,
  validatePolicies,
  listPolicies,
  createPolicy,
  getPolicy,
  updatePolicy,
  deletePolicy,
  listVersions,
  getVersion,
  listTests,
  runTests,
  createEvaluation,
  listEvaluations,
  evaluationStats,
  getEvaluation,
  listImages,
  pushImages,
  putImage,
  getImage,
  listExceptions,
  createException,
  getException,
  updateException,
  deleteException,
  createAdmission,
  createReplay,
  listTokens,
  createToken,
  deleteToken,
  listAudit,
  // signed decision receipts (docs/receipts.md); /v1/keys is public
  getReceipt,
  listKeys,
  rotateKey,
  listInventory,
  listFindings,
  listWebhooks,
  createWebhook,
  deleteWebhook,
  whoami,
];
