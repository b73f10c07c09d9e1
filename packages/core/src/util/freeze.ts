/**
 * Freezes `value` and every object and list in it, so that a write into any of them throws in
 * strict code; returns `value`. Objects already frozen are not walked again. Dates are left
 * alone: CEL values share them with the caller's input (toCel), and freezing a Date would not
 * stop its setters anyway.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || value instanceof Date || Object.isFrozen(value))
    return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
}
