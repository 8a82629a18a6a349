// Heap a stream's translator keeps while a long output item streams: 64 translators, each in the middle of a
// 10,000-delta tool call (a large Write), kept alive; heap after a full GC, per stream.
// Usage: node bench/retained.ts [--json]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StreamTranslator } from '../src/translate/stream-to-anthropic.ts';
import type { ResponsesEvent } from '../src/wire/responses-stream.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export function retainedPerStream(streams = 64, deltas = 10_000): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep: StreamTranslator[] = [];
  for (let n = 0; n < streams; n++) {
    const t = new StreamTranslator({ model: 'claude-sonnet-4-5' });
    t.push({ type: 'response.created', response: { id: 'resp_1' } } as ResponsesEvent);
    t.push({ type: 'response.output_item.added', output_index: 0, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'Write', arguments: '' } } as ResponsesEvent);
    for (let i = 0; i < deltas; i++) {
      // parsed from JSON, as the decoder delivers them: a new string each
      t.push({ type: 'response.function_call_arguments.delta', output_index: 0, item_id: 'fc_1', delta: JSON.parse(`"line ${i} of the file\\n"`) as string } as ResponsesEvent);
    }
    keep.push(t);
  }
  gc();
  const per = (process.memoryUsage().heapUsed - before) / keep.length;
  return Math.max(0, per) / 1024;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kb = retainedPerStream();
  if (!process.argv.includes('--json')) console.log(`heap kept per stream in the middle of a 10,000-delta tool call: ${kb.toFixed(0)} KB`);
  console.log(JSON.stringify({ retainedKbPerStream: kb }));
}
