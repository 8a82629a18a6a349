// Worker thread for bcrypt: compares a presented management key with the stored hash off the main thread,
// so guessing keys costs the guesser a queue slot, not the gateway its event loop.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface VerifyRequest { id: number; key: string; hash: string }
export interface VerifyAnswer { id: number; ok: boolean }

parentPort?.on('message', (m: VerifyRequest) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(m.key, m.hash);
  } catch {
    // a malformed hash matches nothing
  }
  parentPort!.postMessage({ id: m.id, ok } satisfies VerifyAnswer);
});
