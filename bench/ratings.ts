// `npm run bench:ratings`: how long the statistics of studies and the arena take at their sizes: Bradley-Terry
// ratings with 2,000 bootstrap refits, and a paired cost ratio with 2,000 resamples. Median of 5 runs each.
import { performance } from 'node:perf_hooks'
import { rateVotes, type Vote } from '../src/stats/bradley-terry.ts'
import { pairedRatio } from '../src/stats/paired-ratio.ts'
import { seededRandom } from '../src/stats/random.ts'

const random = seededRandom('bench')

/** Votes on 2 to 4 of `targets` targets, strengths spread over 8×, the best drawn ∝ strength; 10% ties. */
function votes(count: number, targets: number): Vote[] {
  const names = Array.from({ length: targets }, (_, i) => `provider/model-${i}`)
  const strength = names.map((_, i) => 8 ** (i / (targets - 1)))
  return Array.from({ length: count }, () => {
    const picked = [...names.keys()].sort(() => random() - 0.5).slice(0, 2 + Math.floor(random() * 3))
    let u = random() * picked.reduce((s, i) => s + strength[i]!, 0)
    let winner = picked.at(-1)!
    for (const i of picked) {
      u -= strength[i]!
      if (u <= 0) {
        winner = i
        break
      }
    }
    return { targets: picked.map((i) => names[i]!), winner: random() < 0.1 ? 'tie' : names[winner]! }
  })
}

function costs(prompts: number, repeats: number, scale: number) {
  return new Map(
    Array.from({ length: prompts }, (_, p) => {
      const base = 0.0001 * (1 + ((p * 7919) % 100))
      return [`p${p}`, Array.from({ length: repeats }, () => base * scale * (0.8 + 0.4 * random()))]
    }),
  )
}

/** Median wall and CPU milliseconds of 5 runs (CPU time says more on a shared, loaded machine). */
function median5(work: () => void): string {
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    const startCpu = process.cpuUsage()
    work()
    const used = process.cpuUsage(startCpu)
    wall.push(performance.now() - start)
    cpu.push((used.user + used.system) / 1000)
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[2]!.toFixed(0)
  return `${mid(wall)} ms | ${mid(cpu)} ms`
}

const rows: string[] = []
for (const [count, targets] of [
  [100, 3],
  [1_000, 10],
  [5_000, 20],
] as const) {
  const data = votes(count, targets)
  const ms = median5(() => rateVotes(data, { seed: 'bench' }))
  rows.push(`| Bradley-Terry, ${count.toLocaleString('en-US')} votes, ${targets} targets | 2,000 | ${ms} |`)
}
for (const prompts of [40, 1_000]) {
  const a = costs(prompts, 3, 31)
  const b = costs(prompts, 3, 1)
  const ms = median5(() => pairedRatio({ a, b, seed: 'bench' }))
  rows.push(`| paired cost ratio, ${prompts.toLocaleString('en-US')} prompts × 3 repeats | 2,000 | ${ms} |`)
}
console.log('| computation | bootstrap resamples | median wall time | median CPU time |\n|---|---|---|---|')
console.log(rows.join('\n'))
