// The gateway for the benchmark, run from src/ by Node's type stripping (no build needed):
// the same CLI as bin/packybridge.js, e.g. `node bench/gateway-main.ts serve --config c.yaml --port 0`.
import { main } from '../src/cli.ts';

await main(process.argv);
