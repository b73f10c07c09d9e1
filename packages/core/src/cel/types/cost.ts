/**
 * Worst-case cost of a type-checked expression, estimated the way Kubernetes estimates CEL
 * costs (cel-go's checker cost model with the API server's size bounds): each identifier and
 * field selection costs 1, a list literal 10, a map literal 30, a function call 1 plus what its
 * arguments cost, string work 0.1 per character, and a comprehension its range's cost plus, per
 * element, the cost of its body. Sizes come from the type: the Kubernetes schemas of the kinds
 * celgate types declare no maxItems or maxLength, so, as Kubernetes does for unbounded values,
 * a string may be as long as a whole request (3 MiB) and a list may hold as many elements as
 * fit in one request at their smallest serialized size.
 */
import type { CelAst } from "../lib/hooks.js";

/** Kubernetes' largest request (k8s.io/apiserver/pkg/apis/cel MaxRequestSizeBytes), in bytes. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;
/**
 * The most an expression may cost by estimate: Kubernetes' StaticEstimatedCostLimit, the
 * per-expression limit it applies to estimated costs. (Its run-time limit per expression,
 * PerCallLimit, is 1,000,000 and is what celgate's evaluation budget enforces.)
 */
export const ESTIMATED_COST_LIMIT = 10_000_000;

const STRING_TRAVERSAL = 0.1;
const REGEX_FACTOR = 0.25;
const LIST_CREATE = 10;
const MAP_CREATE = 30;

interface Node extends CelAst {
  checkedType?: { name: string; valueType?: { name: string }; keyType?: { name: string } };
}

/** Smallest serialized size of a value of `type`, in bytes (as Kubernetes estimates it). */
function minSize(type: string): number {
  if (type === "string" || type === "bytes") return 2; // ""
  if (type === "bool") return 4; // true
  if (type === "int" || type === "uint" || type === "double") return 1;
  if (type.startsWith("list<") || type.startsWith("map<") || type.startsWith("k8s.")) return 2; // [] or {}
  return 1;
}

/** The element type of `list<T>` and the key type of `map<K, V>`, from a type name. */
function elementType(type: string): string {
  const list = /^list<(.+)>$/.exec(type);
  if (list?.[1]) return list[1];
  const map = /^map<([^,<>]+|[^,]+<[^>]*>),/.exec(type);
  if (map?.[1]) return map[1].trim();
  return "dyn";
}

/** The largest size (characters, elements or entries) a value of `type` can have. */
export function maxSize(type: string): number {
  const room = MAX_REQUEST_SIZE_BYTES - 2;
  if (type === "string" || type === "bytes") return room;
  if (type.startsWith("list<")) return Math.floor(room / (minSize(elementType(type)) + 1));
  if (type.startsWith("map<")) return Math.floor(room / (minSize(elementType(type)) + 2));
  if (type === "dyn" || type === "list" || type === "map") return Math.floor(room / 2);
  return 1;
}

/** Estimated size of a node's value: exact for literals, else from its type. */
function sizeOf(node: Node): number {
  if (node.op === "value") return typeof node.args === "string" ? node.args.length : 1;
  if (node.op === "list") return (node.args as unknown[]).length;
  if (node.op === "map") return (node.args as unknown[]).length;
  return maxSize(node.checkedType?.name ?? "dyn");
}

/** Functions whose cost grows with the size of their receiver (string and list work). */
const LINEAR_IN_RECEIVER = new Set([
  "contains",
  "endsWith",
  "lowerAscii",
  "upperAscii",
  "replace",
  "split",
  "substring",
  "trim",
  "join",
  "indexOf",
  "lastIndexOf",
  "charAt",
  "reverse",
  "quote",
  "format",
  "sum",
  "min",
  "max",
  "isSorted",
  "distinct",
  "flatten",
  "url",
  "isURL",
  "ip",
  "isIP",
  "cidr",
  "isCIDR",
  "quantity",
  "isQuantity",
  "semver",
  "isSemver",
]);
const REGEX = new Set(["matches", "find", "findAll"]);
const MACROS = new Set([
  "all",
  "exists",
  "exists_one",
  "existsOne",
  "map",
  "filter",
  "transformList",
  "transformMap",
  "transformMapEntry",
]);

/** The estimated worst-case cost of a type-checked expression tree. Never throws. */
export function estimateCost(root: CelAst): number {
  return Math.ceil(cost(root as Node, 0));
}

function cost(node: Node | undefined, depth: number): number {
  if (!node || depth > 200) return 0;
  const args = node.args as unknown;
  switch (node.op) {
    case "value":
      return 0;
    case "id":
      return 1;
    case ".":
    case ".?": {
      const [receiver] = args as [Node];
      return 1 + cost(receiver, depth + 1);
    }
    case "list":
      return LIST_CREATE + sum(args as Node[], depth);
    case "map":
      return (
        MAP_CREATE +
        (args as [Node, Node][]).reduce((s, [k, v]) => s + cost(k, depth + 1) + cost(v, depth + 1), 0)
      );
    case "?:": {
      const [c, a, b] = args as [Node, Node, Node];
      return cost(c, depth + 1) + Math.max(cost(a, depth + 1), cost(b, depth + 1));
    }
    case "call": {
      const [name, list] = args as [string, Node[]];
      if (name === "has")
        return sum(
          list.map((n) => ((n.args as unknown[])[0] as Node) ?? n),
          depth,
        );
      return 1 + sum(list, depth) + callCost(name, undefined, list);
    }
    case "rcall": {
      const [name, receiver, list] = args as [string, Node, Node[]];
      if (name === "bind" && receiver?.op === "id" && receiver.args === "cel") {
        return cost(list[1], depth + 1) + cost(list[2], depth + 1);
      }
      if (MACROS.has(name) && list.length >= 2) {
        // the range once, then each element: the body (and a filter, for map with three arguments)
        const perElement = sum(list.slice(list.length === 2 ? 1 : list.length - 2), depth) + 1;
        return cost(receiver, depth + 1) + sizeOf(receiver) * perElement;
      }
      return 1 + cost(receiver, depth + 1) + sum(list, depth) + callCost(name, receiver, list);
    }
  }
  if (Array.isArray(args)) {
    const operands = args.filter((a): a is Node => typeof a === "object" && a !== null && "op" in a);
    let total = 1 + sum(operands, depth);
    const [left, right] = operands;
    if (left && right && (left.checkedType?.name === "string" || left.checkedType?.name === "bytes")) {
      // comparing or concatenating strings reads them
      total +=
        STRING_TRAVERSAL *
        (node.op === "+" ? sizeOf(left) + sizeOf(right) : Math.min(sizeOf(left), sizeOf(right)));
    }
    if (node.op === "in" && right?.checkedType?.name.startsWith("list")) total += sizeOf(right);
    return total;
  }
  if (args && typeof args === "object" && "op" in args) return 1 + cost(args as Node, depth + 1);
  return 1;
}

function sum(nodes: readonly Node[], depth: number): number {
  return nodes.reduce((s, n) => s + cost(n, depth + 1), 0);
}

function callCost(name: string, receiver: Node | undefined, args: readonly Node[]): number {
  const subject = receiver ?? args[0];
  if (!subject) return 0;
  if (REGEX.has(name)) {
    const pattern = receiver ? args[0] : args[1];
    return STRING_TRAVERSAL * sizeOf(subject) * Math.max(1, REGEX_FACTOR * (pattern ? sizeOf(pattern) : 1));
  }
  if (name === "startsWith") return STRING_TRAVERSAL * (args[0] ? sizeOf(args[0]) : 1);
  if (name === "sort" || name === "sortBy") {
    const n = sizeOf(subject);
    return n * Math.max(1, Math.log2(n));
  }
  if (LINEAR_IN_RECEIVER.has(name)) {
    const factor = subject.checkedType?.name === "string" ? STRING_TRAVERSAL : 1;
    return factor * sizeOf(subject);
  }
  return 0;
}
