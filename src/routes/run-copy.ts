import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { unknownCost } from '../domain/types.ts'
import { columnLabel } from '../web/column-info.ts'
import { findRun } from '../web/find-run.ts'
import type { RunRegistry } from '../web/run-registry.ts'
import { runMarkdown, type RunMarkdownInput } from '../web/run-markdown.ts'
import { isHidden } from '../web/blind-state.ts'

/**
 * What the copy buttons copy, as text/plain: one answer's raw Markdown, or the whole run as Markdown. Fetched
 * on click rather than put in the page, so a multi-megabyte answer is not in the DOM twice. A run still open
 * in this process comes from memory (a retried column's newest answer, and servers without history), else
 * from history.
 */
export function runCopyRoutes(ctx: AppContext, registry: RunRegistry): Hono {
  const app = new Hono()

  const load = async (id: string): Promise<RunMarkdownInput | null> => {
    const found = await findRun(ctx, registry, id)
    if (!found) return null
    const { prompt, targets, results } =
      found.kind === 'live'
        ? {
            prompt: found.run.meta.prompt,
            targets: found.run.request.targets.map((t) => t.target),
            results: found.run.results,
          }
        : { prompt: found.run.prompt, targets: found.run.targets, results: found.run.results }
    return {
      prompt,
      system: found.kind === 'live' ? found.run.meta.system : found.run.system,
      targets: targets.map((target, i) => {
        const r = results[i]
        return {
          target,
          label: columnLabel(ctx, target, r?.label),
          status: r?.status ?? 'running',
          ttft_ms: r?.timing.ttft_ms ?? null,
          total_ms: r?.timing.total_ms ?? null,
          input_tokens: r?.usage.input_tokens ?? null,
          output_tokens: r?.usage.output_tokens ?? null,
          cost: r?.cost ?? unknownCost('running'),
          error: r?.error ?? null,
          text: r?.text ?? '',
        }
      }),
    }
  }

  const text = (body: string, type: string) =>
    new Response(body, { headers: { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' } })

  app.get('/runs/:id/answers/:index{[0-9]+}', async (c) => {
    const run = await load(c.req.param('id'))
    const target = run?.targets[Number(c.req.param('index'))]
    if (!target) return c.text('not found', 404)
    return text(target.text, 'text/plain')
  })

  app.get('/runs/:id/markdown', async (c) => {
    const run = await load(c.req.param('id'))
    if (!run) return c.text('not found', 404)
    // It names every model and its figures: not before a blind run's vote (one answer alone names nothing).
    if (await isHidden(ctx, c.req.param('id'))) return c.text('hidden until the vote on this blind run', 409)
    return text(runMarkdown(run), 'text/plain')
  })

  return app
}
