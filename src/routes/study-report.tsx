import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { studyCharts, studyWhatIf } from '../web/study-figures.ts'
import { REPORT_CSP, StudyReport } from '../../views/study-report.tsx'

/** A file name from the study's name: letters, digits and dashes only (the header must carry nothing else). */
export function reportFileName(name: string, id: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return `juxta-study-${slug || id}.html`
}

/**
 * GET /api/studies/:id/export.html: the self-contained report (inline CSS, charts as inline SVG, no script, no
 * external URL), as a download with a CSP that allows only its inline style.
 */
export function studyReportRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.get('/:id/export.html', async (c) => {
    if (!ctx.studies) return apiError(c, 503, 'studies need the history database')
    const id = c.req.param('id')
    const view = RunIdSchema.safeParse(id).success ? await ctx.studies.get(id) : null
    if (!view) return apiError(c, 404, 'study not found')
    const cells = (await ctx.studies.cells(id)) ?? []
    const report = await StudyReport({
      view,
      cells,
      charts: studyCharts(view, cells),
      whatIf: studyWhatIf({ view, cells, catalog: ctx.catalog() }),
      generatedAt: new Date().toISOString(),
    })
    c.header('Content-Security-Policy', REPORT_CSP)
    c.header('Content-Disposition', `attachment; filename="${reportFileName(view.name, id)}"`)
    return c.html(report)
  })
  return app
}
