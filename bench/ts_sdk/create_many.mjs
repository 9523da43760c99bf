// bench/batch, the official TypeScript SDK's side: N tasks created with
// client.tasks.create, a Promise.all over N calls each holding one of
// `concurrency` semaphore slots. A warm-up of the same shape runs first (JIT,
// connections) and is not measured. Last line: one JSON object
// {seconds, cpu_s, failures, hwm_kb, ...} for the measured phase.
//   node create_many.mjs --url URL --key KEY --n 10000 --concurrency 64 --warmup 1000
// HTTPS: the simulator's CA comes from NODE_EXTRA_CA_CERTS.
import Handinger from '@ramensoft/handinger';
import { readFileSync } from 'node:fs';

const opts = { url: '', key: 'sk-bench', n: 10000, concurrency: 64, warmup: 1000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '');
  if (!(name in opts) || i + 1 >= process.argv.length) {
    console.error(`usage: node create_many.mjs --url URL [--key K] [--n N] [--concurrency C] [--warmup W]`);
    process.exit(2);
  }
  opts[name] = typeof opts[name] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

class Semaphore {
  constructor(slots) {
    this.slots = slots;
    this.waiting = [];
  }
  async acquire() {
    if (this.slots > 0) {
      this.slots--;
      return;
    }
    await new Promise((resolve) => this.waiting.push(resolve));
  }
  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.slots++;
  }
}

const client = new Handinger({ apiKey: opts.key, baseURL: opts.url, logLevel: 'off' });

async function createMany(count, base) {
  const sem = new Semaphore(opts.concurrency);
  let failures = 0;
  let firstError;
  const inputs = Array.from(
    { length: count },
    (_, i) => `Batch benchmark task ${base + i}: summarise the quarterly filings`,
  );
  const results = await Promise.all(
    inputs.map(async (input) => {
      await sem.acquire();
      try {
        return await client.tasks.create({ input });
      } catch (err) {
        failures++;
        firstError ??= [err?.message ?? String(err), err?.cause?.message, err?.cause?.cause?.message, err?.cause?.code]
          .filter(Boolean)
          .join(': ');
        return null;
      } finally {
        sem.release();
      }
    }),
  );
  return { results, failures, firstError };
}

function vmHwmKb() {
  const m = /VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

if (opts.warmup > 0) await createMany(opts.warmup, 1000000);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { results, failures, firstError } = await createMany(opts.n, 0);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const out = {
  seconds,
  rps: opts.n / seconds,
  cpu_s: (cpu.user + cpu.system) / 1e6,
  failures,
  results: results.length,
  hwm_kb: vmHwmKb(),
  node: process.version,
};
if (firstError) out.error = firstError;
console.log(JSON.stringify(out));
process.exit(failures === 0 ? 0 : 1);
