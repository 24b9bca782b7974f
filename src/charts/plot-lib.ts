import { createRequire } from 'node:module'
import type * as PlotModule from '@observablehq/plot'
import type * as LinkedomModule from 'linkedom'

/**
 * Plot and linkedom (~280 modules, ~0.4 s to load, ~20 MiB) load with the first chart drawn, not at start-up:
 * a server that never renders a study or the leaderboard never pays for them (`npm run bench`, cold start and
 * idle RSS). Loaded synchronously (require of an ES module, Node ≥ 20.19) so the chart functions stay sync.
 */
const load = createRequire(import.meta.url)
let plot: typeof PlotModule | undefined
let linkedom: typeof LinkedomModule | undefined

export function Plot(): typeof PlotModule {
  plot ??= load('@observablehq/plot') as typeof PlotModule
  return plot
}

export function parseHTML(html: string): ReturnType<typeof LinkedomModule.parseHTML> {
  linkedom ??= load('linkedom') as typeof LinkedomModule
  return linkedom.parseHTML(html)
}
