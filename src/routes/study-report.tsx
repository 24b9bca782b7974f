import { Hono } from 'hono'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { RunIdSchema } from '../storage/export-format.ts'
import { studyReportHtml } from '../web/study-report-html.ts'
import { REPORT_CSP } from '../../views/study-report.tsx'

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
    const report = RunIdSchema.safeParse(id).success
      ? await studyReportHtml({ studies: ctx.studies, catalog: ctx.catalog }, id)
      : null
    if (!report) return apiError(c, 404, 'study not found')
    c.header('Content-Security-Policy', REPORT_CSP)
    c.header('Content-Disposition', `attachment; filename="${reportFileName(report.view.name, id)}"`)
    return c.html(report.html)
  })
  return app
}
