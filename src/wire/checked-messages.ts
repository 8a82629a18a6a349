// Messages already checked against the message schema. A message a request shares with an earlier one
// (repeated-messages.ts) is the same deep-frozen object; once it passed, it passes again, so validation checks
// only the messages that are new (the tool pairing, which spans messages, still walks them all).
// Only frozen messages are marked: a value that could still change is checked every time.
const checked = new WeakSet<object>();

/** Marks the frozen messages of a request whose messages all passed. */
export function markCheckedMessages(messages: unknown): void {
  if (!Array.isArray(messages)) return;
  for (const m of messages) if (typeof m === 'object' && m !== null && Object.isFrozen(m)) checked.add(m);
}

export function isCheckedMessage(m: unknown): boolean {
  return typeof m === 'object' && m !== null && checked.has(m);
}
