import { readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { MAX_MAX_TOKENS, MAX_TEMPERATURE } from '../domain/run-input.ts'
import type { Runtime } from '../runtime.ts'
import { studyCsvChunks } from '../studies/export-csv.ts'
import { MAX_STUDY_USD } from '../studies/input.ts'
import { validateStudy } from '../studies/input.ts'
import { parsePromptBytes } from '../studies/prompt-file.ts'
import { MAX_CONCURRENCY, MAX_REPEATS, type StudyService, type StudyStatus } from '../studies/types.ts'
import { numberOption, parseCommandArgs } from './args.ts'
import { issuesLine } from './ask.ts'
import { type CliIo, CliError, EXIT, UsageError } from './cli-io.ts'
import { STUDY_HELP } from './help.ts'
import { openRuntime } from './open-runtime.ts'
import { ProgressBar } from './study-progress.ts'
import { studyReport } from './study-text.ts'
import { styles } from './terminal-text.ts'
import { studyReportHtml } from '../web/study-report-html.ts'

const EXPORTS = ['.csv', '.json', '.html'] as const
type ExportKind = (typeof EXPORTS)[number]

/** `juxta study FILE -t …`: a study run in this process, with its progress on stderr and its figures at the end. */
export async function studyCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('study', args, {
    target: { type: 'string', short: 't', multiple: true },
    repeats: { type: 'string' },
    concurrency: { type: 'string' },
    'max-usd': { type: 'string' },
    name: { type: 'string' },
    temperature: { type: 'string' },
    'max-tokens': { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  })
  if (values.help) {
    io.stdout.write(STUDY_HELP)
    return EXIT.ok
  }
  if (positionals.length !== 1) {
    throw new UsageError(`study takes one FILE of prompts, got ${positionals.length} arguments`)
  }
  if (!values.target?.length) throw new UsageError('study needs at least one target: -t provider/model')
  const body = {
    targets: values.target,
    ...optional('name', values.name),
    ...optional('repeats', numberOption('repeats', values.repeats, { min: 1, max: MAX_REPEATS, integer: true })),
    ...optional(
      'concurrency',
      numberOption('concurrency', values.concurrency, { min: 1, max: MAX_CONCURRENCY, integer: true }),
    ),
    ...optional('max_usd', numberOption('max-usd', values['max-usd'], { min: 0, max: MAX_STUDY_USD })),
    ...optional('temperature', numberOption('temperature', values.temperature, { min: 0, max: MAX_TEMPERATURE })),
    ...optional(
      'max_tokens',
      numberOption('max-tokens', values['max-tokens'], { min: 1, max: MAX_MAX_TOKENS, integer: true }),
    ),
  }
  const out = values.out === undefined ? null : exportTarget(io.cwd, values.out)
  const file = positionals[0]!
  let bytes: Uint8Array
  try {
    bytes = await readFile(resolve(io.cwd, file))
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`)
  }

  const runtime = await openRuntime(io)
  try {
    const { ctx } = runtime
    const parsed = parsePromptBytes(file, bytes, { expectedSyntax: ctx.studyLimits.expectedSyntax })
    if (!parsed.ok) throw new UsageError(`${file}:${parsed.line}: ${parsed.message}`)
    const checked = validateStudy(ctx.studyLimits, { ...body, prompts: parsed.prompts })
    if (!checked.ok) throw new UsageError(issuesLine(checked.issues))
    const studies = ctx.studies
    if (!studies) throw new CliError('studies need the history database')
    const created = await studies.create(checked.input)
    if (!created.ok) throw new UsageError(created.issues.length ? issuesLine(created.issues) : created.message)

    const status = await followStudy(studies, created.study_id, io)
    // Waits for the cells in flight to be written (a cancelled study's were aborted).
    await studies.close()
    const view = await studies.get(created.study_id)
    if (!view) throw new CliError(`study ${created.study_id} is missing from the database`)
    if (values.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`)
    else io.stdout.write(studyReport(view, styles(io.stdout.isTTY && !io.env.NO_COLOR)))
    if (out) {
      await writeExport(runtime, created.study_id, out)
      io.stderr.write(`study: wrote ${out.path}\n`)
    }
    if (io.signal.aborted) return EXIT.interrupted
    return status === 'done' && view.progress.errors === 0 ? EXIT.ok : EXIT.failed
  } finally {
    await runtime.close()
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>)
}

function exportTarget(cwd: string, path: string): { path: string; kind: ExportKind } {
  const kind = extname(path).toLowerCase() as ExportKind
  if (!EXPORTS.includes(kind)) throw new UsageError(`--out must end in .csv, .json or .html, got "${path}"`)
  const full = resolve(cwd, path)
  // Checked before the study runs, not after it has spent its budget.
  if (!existsSync(dirname(full))) throw new UsageError(`--out: no directory ${dirname(full)}`)
  return { path: full, kind }
}

/**
 * Shows the study's progress until it stops (done, cancelled, or interrupted by its budget); Ctrl-C cancels it,
 * which aborts the requests in flight. Returns the status it stopped with.
 */
async function followStudy(studies: StudyService, id: string, io: CliIo): Promise<StudyStatus> {
  const bar = new ProgressBar(io.stderr)
  let unsubscribe = () => {}
  const onInterrupt = () => {
    io.stderr.write('\nstudy: cancelling…\n')
    void studies.cancel(id)
  }
  try {
    return await new Promise<StudyStatus>((resolveStatus, reject) => {
      unsubscribe = studies.subscribe(id, (event) => {
        bar.update(event)
        if (event.status !== 'running') resolveStatus(event.status)
      })
      io.signal.addEventListener('abort', onInterrupt, { once: true })
      if (io.signal.aborted) onInterrupt()
      // A study of a few instant cells may have ended before the subscription.
      studies
        .get(id)
        .then((view) => {
          if (!view) return reject(new CliError(`study ${id} is missing from the database`))
          bar.update(view)
          if (view.status !== 'running') resolveStatus(view.status)
        })
        .catch(reject)
    })
  } finally {
    unsubscribe()
    io.signal.removeEventListener('abort', onInterrupt)
    bar.finish()
  }
}

async function writeExport(runtime: Runtime, id: string, out: { path: string; kind: ExportKind }): Promise<void> {
  const studies = runtime.ctx.studies!
  let content: string | undefined
  if (out.kind === '.html') {
    content = (await studyReportHtml({ studies, catalog: runtime.ctx.catalog }, id))?.html
  } else {
    // The API's exports: the JSON as GET /api/studies/:id/export.json sends it, the CSV from the same rows.
    const exported = await studies.export(id)
    if (exported)
      content = out.kind === '.json' ? JSON.stringify(exported, null, 1) : [...studyCsvChunks(exported)].join('')
  }
  if (content === undefined) throw new CliError(`study ${id} is missing from the database`)
  try {
    await writeFile(out.path, content)
  } catch (err) {
    throw new CliError(`cannot write ${out.path}: ${(err as { code?: string }).code ?? String(err)}`)
  }
}
