import type { Catalog } from '../providers/catalog.ts'
import type { StudyService, StudyView } from '../studies/types.ts'
import { StudyReport } from '../../views/study-report.tsx'
import { studyCharts, studyWhatIf } from './study-figures.ts'

/**
 * A study's self-contained HTML report (inline CSS, charts as inline SVG, no script): what
 * `GET /api/studies/:id/export.html` sends and `juxta study --out report.html` writes. Null for an unknown study.
 */
export async function studyReportHtml(
  deps: { studies: StudyService; catalog: () => Catalog },
  id: string,
  now: Date = new Date(),
): Promise<{ view: StudyView; html: string } | null> {
  const view = await deps.studies.get(id)
  if (!view) return null
  const cells = (await deps.studies.cells(id)) ?? []
  const report = await StudyReport({
    view,
    cells,
    charts: studyCharts(view, cells),
    whatIf: studyWhatIf({ view, cells, catalog: deps.catalog() }),
    generatedAt: now.toISOString(),
  })
  return { view, html: String(report) }
}
