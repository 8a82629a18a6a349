// The prototype-poisoning rule for parsed request bodies (fastify's secure-json-parse applies the same): no
// `__proto__` key anywhere, no `constructor` key holding a `prototype`. Checked on parsed values, keys only.

/**
 * Whether a parsed JSON value holds a `__proto__` key, or a `constructor` key whose value is an object with a
 * `prototype` key, at any depth. Iterative: a body nested deeper than the call stack cannot overflow it here
 * (the depth limit is checked by the validation that follows).
 */
export function hasPoisonKey(root: object): boolean {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'object' && x !== null) stack.push(x);
      }
      continue;
    }
    for (const key in v) {
      const x = (v as Record<string, unknown>)[key];
      if (key === '__proto__') return true;
      if (typeof x !== 'object' || x === null) continue;
      if (key === 'constructor' && Object.prototype.hasOwnProperty.call(x, 'prototype')) return true;
      stack.push(x);
    }
  }
  return false;
}
