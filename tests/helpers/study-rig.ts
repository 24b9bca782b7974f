import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteRunStore, type SqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import type { StudyView } from '../../src/studies/types.ts'
import { type RunningJuxta, startJuxta } from './juxta.ts'

/** A real app on loopback with a real SQLite history and study store in a temporary directory. */
export interface StudyRig {
  juxta: RunningJuxta
  store: SqliteRunStore
  studyStore: SqliteStudyStore
  close(): Promise<void>
}

export async function startStudyRig(config: Record<string, unknown>): Promise<StudyRig> {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-study-'))
  const store = openSqliteRunStore(join(dir, 'juxta.db'))
  const studyStore = new SqliteStudyStore(store.db)
  const juxta = await startJuxta({ config, store, studyStore })
  return {
    juxta,
    store,
    studyStore,
    close: async () => {
      await juxta.ctx.studies?.close()
      await juxta.close()
      await juxta.ctx.recorder.flush?.()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function api<T = unknown>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  })
  const text = await res.text()
  let body: T
  try {
    body = JSON.parse(text) as T
  } catch {
    body = undefined as T
  }
  return { status: res.status, body, text, headers: res.headers }
}

/** Polls GET /api/studies/:id until `done(view)`; fails after `timeoutMs`. */
export async function waitForStudy(
  url: string,
  id: string,
  done: (view: StudyView) => boolean = (v) => v.status !== 'running',
  timeoutMs = 20_000,
): Promise<StudyView> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const res = await api<StudyView>(url, `/api/studies/${id}`)
    if (res.status === 200 && done(res.body)) return res.body
    if (Date.now() > until) throw new Error(`study ${id} did not get there: ${res.text.slice(0, 400)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
