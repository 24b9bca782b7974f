import { Hono } from 'hono'
import type { Context } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../context.ts'
import { apiError } from '../http/api-error.ts'
import { validateStudy } from '../studies/input.ts'
import { studyCsvChunks } from '../studies/export-csv.ts'
import type { ControlOutcome, StudyService } from '../studies/types.ts'
import { readJson } from './compare-input.ts'

const StudyIdSchema = z.string().regex(/^[0-9a-z]{1,40}$/)
const ResumeSchema = z.strictObject({ max_usd: z.number().positive().max(1_000_000).optional() })

/** The study JSON API (issue #11): create, list, read, cancel, pause, resume, export. */
export function studiesApiRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  const service = (c: Context): StudyService | Response =>
    ctx.studies ?? apiError(c, 503, 'studies need the history database (this server runs without one)')

  /** The service and the checked study of a create or estimate body, or the error answer. */
  const studyBody = async (c: Context) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    const raw = await readJson(c.req)
    if (!raw.ok) return apiError(c, 400, 'request body must be JSON')
    const checked = validateStudy(ctx.studyLimits, raw.value)
    if (!checked.ok) return apiError(c, 422, 'invalid study', checked.issues)
    return { studies, input: checked.input }
  }

  app.post('/', async (c) => {
    const body = await studyBody(c)
    if (body instanceof Response) return body
    const created = await body.studies.create(body.input)
    if (!created.ok) return apiError(c, 422, created.message, created.issues)
    return c.json({ study_id: created.study_id }, 202)
  })

  // The cost range before starting (the page and the CLI show it); no upstream call.
  app.post('/estimate', async (c) => {
    const body = await studyBody(c)
    if (body instanceof Response) return body
    return c.json(await body.studies.estimate(body.input))
  })

  app.get('/', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    return c.json({ studies: await studies.list() })
  })

  app.get('/:id', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    const view = await studies.get(idOf(c))
    return view ? c.json(view) : notFound(c)
  })

  app.get('/:id/cells', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    const raw = c.req.query('prompt_index')
    const index = raw === undefined ? undefined : Number(raw)
    if (index !== undefined && !(Number.isInteger(index) && index >= 0)) {
      return apiError(c, 422, 'invalid query', [{ path: 'prompt_index', message: 'must be a whole number ≥ 0' }])
    }
    const cells = await studies.cells(idOf(c), index === undefined ? {} : { prompt_index: index })
    return cells ? c.json({ cells }) : notFound(c)
  })

  for (const action of ['cancel', 'pause'] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const studies = service(c)
      if (studies instanceof Response) return studies
      return control(c, await studies[action](idOf(c)))
    })
  }

  app.post('/:id/resume', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    // The body is optional: `{ "max_usd": 5 }` raises the budget of a study its budget stopped.
    const text = await c.req.text()
    let options: z.infer<typeof ResumeSchema> = {}
    if (text.trim()) {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return apiError(c, 400, 'request body must be JSON')
      }
      const parsed = ResumeSchema.safeParse(value)
      if (!parsed.success) {
        return apiError(c, 422, 'invalid resume', [{ path: 'max_usd', message: 'must be a positive number' }])
      }
      options = parsed.data
    }
    return control(c, await studies.resume(idOf(c), options))
  })

  app.get('/:id/export.json', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    const id = idOf(c)
    const study = await studies.export(id)
    if (!study) return notFound(c)
    return c.body(JSON.stringify(study, null, 1), 200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="juxta-study-${id}.json"`,
    })
  })

  app.get('/:id/export.csv', async (c) => {
    const studies = service(c)
    if (studies instanceof Response) return studies
    const id = idOf(c)
    const study = await studies.export(id)
    if (!study) return notFound(c)
    return c.body([...studyCsvChunks(study)].join(''), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="juxta-study-${id}.csv"`,
    })
  })

  return app
}

/** Ids are ours (lowercase base 36 and hex); anything else is an unknown study, not an error. */
function idOf(c: Context): string {
  const id = c.req.param('id') ?? ''
  return StudyIdSchema.safeParse(id).success ? id : '-'
}

const notFound = (c: Context) => apiError(c, 404, 'study not found')

function control(c: Context, outcome: ControlOutcome): Response {
  return outcome.ok ? c.json(outcome.view) : apiError(c, outcome.status, outcome.message)
}
