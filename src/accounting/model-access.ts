// Which models a client key may use: its `models` globs (`*` matches any run, case-insensitive).
import type { ClientKey, ModelMapEntry } from '../config/types.ts';
import { matchModelMap } from '../routing/router.ts';

const asMaps = new WeakMap<ClientKey, ModelMapEntry[]>();

export function mayUseModel(client: ClientKey, model: string): boolean {
  if (!client.models) return true;
  let map = asMaps.get(client);
  if (!map) {
    map = client.models.map((g) => ({ match: g, model: g }));
    asMaps.set(client, map);
  }
  return matchModelMap(map, model) !== undefined;
}
