import { setImmediate as nextTick } from 'node:timers/promises'
import type { TargetResult } from '../domain/types.ts'
import type { ChatMessage } from '../providers/types.ts'
import { openDatabase, type SqliteDatabase } from './database.ts'
import { conversationFrom } from './conversation.ts'
import { listRuns } from './run-list.ts'
import { filterSql } from './run-filter.ts'
import {
  groupByRun,
  resultValues,
  targetParts,
  toRunLink,
  toStoredRun,
  withImages,
  type ResultRow,
  type RunRow,
} from './rows.ts'
import { spendReport } from './spend.ts'
import { StatementCache } from './statements.ts'
import { SQL } from './run-sql.ts'
import { dropOrphanImages, imageHashesOf, imageOf, imageRefsOf, linkImages } from './run-images.ts'
import type { ImageBlob } from '../images/image-data.ts'
import type {
  DeleteOutcome,
  ImportOutcome,
  NewRun,
  PartialUpdate,
  RunDetail,
  RunFilter,
  RunListQuery,
  RunListPage,
  RunStatus,
  RunStore,
  SkippedRun,
  SpendQuery,
  SpendReport,
  StoredRun,
} from './types.ts'

const EXPORT_BATCH = 200

export interface SqliteStoreOptions {
  log?: (line: string) => void
  /**
   * Mark runs left `running` as interrupted (default true). False when other processes may share the database:
   * `buildRuntime` then recovers only when no other live process holds a lease on the data directory.
   */
  recover?: boolean
}

/** Opens the history database, migrates it and (by default) marks runs left `running` as interrupted. */
export function openSqliteRunStore(path: string, options: SqliteStoreOptions = {}): SqliteRunStore {
  const store = new SqliteRunStore(openDatabase(path))
  if (options.recover ?? true) {
    const recovered = store.recoverSync()
    if (recovered > 0) options.log?.(recoveredRunsLine(recovered))
  }
  return store
}

export function recoveredRunsLine(count: number): string {
  return `history: marked ${count} unfinished run(s) from an earlier start as interrupted`
}

/**
 * One connection for reads and writes. better-sqlite3 is synchronous, so writes never interleave (the single
 * writer queue) and the promises only wrap finished work; each write is a short transaction.
 */
export class SqliteRunStore implements RunStore {
  private readonly sql: StatementCache
  /**
   * `fn` in an immediate transaction (a savepoint inside one). better-sqlite3 builds four wrapper functions and
   * their properties per `db.transaction()` call: made once here, not per write (`npm run bench`, CPU per request).
   */
  private readonly immediate: <T>(fn: () => T) => T

  constructor(readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db)
    const runner = db.transaction((fn: () => unknown) => fn())
    this.immediate = runner.immediate as <T>(fn: () => T) => T
  }

  async startRun(run: NewRun): Promise<void> {
    this.immediate(() => {
      this.sql.get(SQL.insertRun).run({
        id: run.run_id,
        parent_id: run.parent_id,
        created_at: run.created_at.getTime(),
        params: JSON.stringify(run.params),
        system: run.system,
        prompt: run.prompt,
        study_id: run.study_id ?? null,
      })
      run.targets.forEach((t, idx) => {
        this.sql.get(SQL.insertTarget).run({
          run_id: run.run_id,
          idx,
          ...targetParts(t.target),
          label: t.label,
          created_at: run.created_at.getTime(),
        })
      })
      linkImages(this.sql, run.run_id, run.images ?? [])
    })
  }

  async appendPartials(updates: PartialUpdate[]): Promise<void> {
    if (updates.length === 0) return
    this.immediate(() => {
      for (const u of updates) this.sql.get(SQL.appendPartial).run({ ...u, idx: u.index })
    })
  }

  async saveResult(runId: string, index: number, result: TargetResult): Promise<void> {
    this.sql.get(SQL.saveResult).run({ ...resultValues(result), run_id: runId, idx: index })
  }

  async finishRun(runId: string, finishedAt: Date): Promise<void> {
    this.immediate(() => {
      this.sql.get(SQL.closeResults).run({ id: runId })
      this.sql.get(SQL.finishRun).run({ id: runId, at: finishedAt.getTime() })
    })
  }

  /** The methods' own transactions become savepoints inside it: a failed write rolls back alone. */
  inTransaction<T>(fn: () => T): T {
    return this.immediate(fn)
  }

  async recoverInterrupted(): Promise<number> {
    return this.recoverSync()
  }

  /** Kept text stays: only the status changes. Partial indexes make this instant on a large history. */
  recoverSync(): number {
    return this.db
      .transaction(() => {
        this.db.prepare("UPDATE results SET status = 'interrupted' WHERE status = 'running'").run()
        return this.db.prepare("UPDATE runs SET status = 'interrupted' WHERE status = 'running'").run().changes
      })
      .immediate()
  }

  async listRuns(query: RunListQuery): Promise<RunListPage> {
    return listRuns(this.sql, query)
  }

  async getRun(runId: string): Promise<RunDetail | null> {
    const run = this.sql.get(SQL.runById).get(runId) as RunRow | undefined
    if (!run) return null
    const results = this.sql.get(SQL.resultsOf).all(runId) as ResultRow[]
    const parent = run.parent_id ? (this.sql.get(SQL.link).get(run.parent_id) as LinkRow | undefined) : undefined
    const children = this.sql.get(SQL.children).all(runId) as LinkRow[]
    return {
      ...withImages(toStoredRun(run, results), imageRefsOf(this.sql, [runId]).get(runId)),
      parent: parent ? toRunLink(parent) : null,
      children: children.map(toRunLink),
    }
  }

  async conversationFor(runId: string): Promise<Record<string, ChatMessage[]> | null> {
    return conversationFrom(this.sql, runId)
  }

  async deleteRun(runId: string): Promise<DeleteOutcome> {
    return this.db
      .transaction((): DeleteOutcome => {
        const rows = this.sql.get(SQL.descendants).all(runId) as Array<{ id: string; status: RunStatus }>
        if (rows.length === 0) return { status: 'not-found' }
        const running = rows.filter((r) => r.status === 'running').map((r) => r.id)
        if (running.length > 0) return { status: 'running', run_ids: running }
        const ids = rows.map((r) => r.id)
        const hashes = imageHashesOf(this.sql, ids)
        this.sql.get(SQL.deleteMany).run(JSON.stringify(ids))
        dropOrphanImages(this.sql, hashes)
        return { status: 'deleted', run_ids: ids }
      })
      .immediate()
  }

  async *exportRuns(filter: RunFilter): AsyncIterable<StoredRun> {
    // The matching ids first (one search, a few MB at most), then the runs in batches: re-running a text
    // search per batch would cost more than the export itself.
    const { from, key, where, params } = filterSql(filter)
    const ids = this.sql.get(`SELECT r.id FROM ${from} ${where} ORDER BY ${key} DESC`).pluck().all(params) as string[]
    for (let at = 0; at < ids.length; at += EXPORT_BATCH) {
      const batch = JSON.stringify(ids.slice(at, at + EXPORT_BATCH))
      const runs = new Map((this.sql.get(SQL.runsOfMany).all(batch) as RunRow[]).map((r) => [r.id, r]))
      const byRun = groupByRun(this.sql.get(SQL.resultsOfMany).all(batch) as ResultRow[])
      const images = imageRefsOf(this.sql, ids.slice(at, at + EXPORT_BATCH))
      for (const id of ids.slice(at, at + EXPORT_BATCH)) {
        const run = runs.get(id)
        // Deleted since the export began.
        if (run) yield withImages(toStoredRun(run, byRun.get(id) ?? []), images.get(id))
      }
      // Let other requests in between batches: SQLite calls block the event loop.
      await nextTick()
    }
  }

  async importRuns(runs: StoredRun[], images: ReadonlyMap<string, ImageBlob> = new Map()): Promise<ImportOutcome> {
    const insertOne = this.db.transaction((run: StoredRun): boolean => {
      // A run exported while it was streaming can never finish now.
      const status = run.status === 'running' ? 'interrupted' : run.status
      const inserted = this.sql.get(SQL.importRun).run({
        id: run.run_id,
        conversation_id: run.conversation_id,
        parent_id: run.parent_id,
        turn: run.turn,
        created_at: Date.parse(run.created_at),
        finished_at: run.finished_at === null ? null : Date.parse(run.finished_at),
        status,
        params: JSON.stringify(run.params),
        system: run.system,
        prompt: run.prompt,
      })
      if (inserted.changes === 0) return false
      run.results.forEach((r, idx) => {
        const values = resultValues(r)
        if (values.status === 'running') values.status = 'interrupted'
        this.sql.get(SQL.importResult).run({
          ...values,
          run_id: run.run_id,
          idx,
          ...targetParts(r.target),
          created_at: Date.parse(run.created_at),
        })
      })
      const blobs = (run.images ?? []).map((ref) => {
        const blob = images.get(ref.sha256)
        if (!blob) throw new Error(`image ${ref.sha256} is not in the file`)
        return blob
      })
      linkImages(this.sql, run.run_id, blobs)
      return true
    })
    return this.db
      .transaction((): ImportOutcome => {
        let imported = 0
        const skipped: SkippedRun[] = []
        runs.forEach((run, index) => {
          try {
            // Nested: a savepoint, so a run the database refuses is undone alone and the others stay.
            if (insertOne(run)) imported++
            else skipped.push({ index, run_id: run.run_id, reason: 'already stored' })
          } catch (err) {
            const reason = `not stored: ${err instanceof Error ? err.message : String(err)}`
            skipped.push({ index, run_id: run.run_id, reason })
          }
        })
        return { imported, skipped: skipped.length, skipped_runs: skipped }
      })
      .immediate()
  }

  async getImage(sha256: string): Promise<{ mime: string; data: Buffer } | null> {
    return imageOf(this.sql, sha256)
  }

  async spend(query: SpendQuery): Promise<SpendReport> {
    return spendReport(this.sql, query)
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}

interface LinkRow {
  id: string
  created_at: number
  status: RunStatus
  study_id: string | null
  prompt: string
}
