import type { CostRatio } from './types.ts'

// The paired cost ratio in words, shared by the study page, the mailed report and the CLI (which must not
// depend on the views).

/** "31×", "2.4×", "1.15×": whole numbers from 10 up, as in "costs 31× less". */
export function formatRatio(x: number): string {
  // 9.96 would read "10.0×" at one decimal: from 9.95 up it is a whole number.
  if (x >= 9.95) return `${Math.round(x).toLocaleString('en-US')}×`
  return `${x.toFixed(x >= 2 ? 1 : 2)}×`
}

/**
 * The paired-ratio sentence: "A costs 31× less than B per request on these 40 prompts (95% CI 24–39×)".
 * `median` is target ÷ vs (vs the cheapest by median cost), so above 1 the cheapest is the subject.
 */
export function ratioSentence(r: CostRatio, labelOf: (target: string) => string = (t) => t): string {
  const target = labelOf(r.target)
  const vs = labelOf(r.vs)
  const count = r.prompts.toLocaleString('en-US')
  const on = r.prompts === 1 ? 'per request on this one prompt' : `per request on these ${count} prompts`
  if (r.median === null) return `${target} against ${vs}: no ratio (${r.note ?? 'no prompt with both costs known'}).`
  const [cheap, dear, m, ci] =
    r.median >= 1
      ? [vs, target, r.median, r.ci95]
      : [
          target,
          vs,
          r.median === 0 ? Infinity : 1 / r.median,
          r.ci95 ? ([1 / r.ci95[1], 1 / r.ci95[0]] as const) : null,
        ]
  const interval = ci ? ` (95% CI ${formatRatio(ci[0]).slice(0, -1)}–${formatRatio(ci[1])})` : ''
  const note = r.note ? ` (${r.note})` : ''
  if (m === Infinity) return `${cheap} cost nothing on the median prompt against ${dear} ${on}${note}.`
  if (Math.abs(m - 1) < 0.005) return `${target} and ${vs} cost the same ${on}${interval}${note}.`
  return `${cheap} costs ${formatRatio(m)} less than ${dear} ${on}${interval}${note}.`
}
