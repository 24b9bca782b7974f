import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { unknownCost } from '../domain/types.ts'
import { columnInfo } from '../web/column-info.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import type { RunRegistry } from '../web/run-registry.ts'
import { runMarkdown, type RunMarkdownInput } from '../web/run-markdown.ts'

/**
 * What the copy buttons copy, as text/plain: one answer's raw Markdown, or the whole run as Markdown. Fetched
 * on click rather than put in the page, so a multi-megabyte answer is not in the DOM twice. A run still open
 * in this process comes from memory (a retried column's newest answer, and servers without history), else
 * from history.
 */
export function runCopyRoutes(ctx: AppContext, registry: RunRegistry): Hono {
  const app = new Hono()

  const load = async (id: string): Promise<RunMarkdownInput | null> => {
    const live = registry.get(id)
    if (live) {
      return {
        prompt: live.meta.prompt,
        system: live.meta.system,
        targets: live.request.targets.map((t, i) => {
          const r = live.results[i]
          return {
            target: t.target,
            label: r?.label || columnInfo(ctx, t.target).label,
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
    const run = ctx.store ? await ctx.store.getRun(id) : null
    if (!run) return null
    return {
      prompt: run.prompt,
      system: run.system,
      targets: run.results.map((r) => ({
        target: r.target,
        label: r.label || r.target,
        status: r.status,
        ttft_ms: r.timing.ttft_ms,
        total_ms: r.timing.total_ms,
        input_tokens: r.usage.input_tokens,
        output_tokens: r.usage.output_tokens,
        cost: r.cost,
        error: r.error,
        text: r.text,
      })),
    }
  }

  const text = (body: string, type: string) =>
    new Response(body, { headers: { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' } })

  app.get('/runs/:id/answers/:index{[0-9]+}', async (c) => {
    const id = RunIdSchema.safeParse(c.req.param('id'))
    const run = id.success ? await load(id.data) : null
    const target = run?.targets[Number(c.req.param('index'))]
    if (!target) return c.text('not found', 404)
    return text(target.text, 'text/plain')
  })

  app.get('/runs/:id/markdown', async (c) => {
    const id = RunIdSchema.safeParse(c.req.param('id'))
    const run = id.success ? await load(id.data) : null
    if (!run) return c.text('not found', 404)
    return text(runMarkdown(run), 'text/plain')
  })

  return app
}
