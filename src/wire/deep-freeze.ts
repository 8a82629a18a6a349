// Values shared by several requests (a repeated tail, repeated messages) are frozen all the way down: nothing
// may change them. Iterative (a deep body cannot overflow the stack); what is frozen already is not walked again.

export function deepFreeze(root: unknown): void {
  if (typeof root !== 'object' || root === null || Object.isFrozen(root)) return;
  const stack: object[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    Object.freeze(v);
    for (const key in v) {
      const x = (v as Record<string, unknown>)[key];
      if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) stack.push(x);
    }
  }
}
