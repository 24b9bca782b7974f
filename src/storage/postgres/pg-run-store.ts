import type { TargetResult } from '../../domain/types.ts'
import type { ImageBlob, ImageRef } from '../../images/image-data.ts'
import type { ChatMessage } from '../../providers/types.ts'
import { buildConversation, type ChainTurn, chainSql, type TurnAnswer } from '../conversation.ts'
import { decodeCursor, type Cursor } from '../run-filter.ts'
import { dataByRun, type ImageBytes, refsByRun } from '../run-images.ts'
import { type ListRow, listPage, PROMPT_HEAD, pageCount, type TargetRow } from '../run-summary.ts'
import { groupByRun, type ResultRow, type RunRow, targetParts, toRunLink, toStoredRun, withImages } from '../rows.ts'
import { foldSpend, type SpendGroup } from '../spend.ts'
import type * as T from '../types.ts'
import { pgTransaction, type PgPool } from './pg-database.ts'
import { changes, rows } from './pg-query.ts'
import { pgFilterSql } from './pg-run-filter.ts'
import { PG } from './pg-run-sql.ts'
import { imageColumns, importOne, mergePartials, resultParams } from './pg-run-writes.ts'
import { textParam } from './pg-query.ts'

const EXPORT_BATCH = 200
const DAY_MS = 86_400_000
/** Two instances starting runs in the same millisecond may pick the same key: the later one takes the next. */
const SEQ_ATTEMPTS = 8
const UNIQUE_VIOLATION = '23505'

export interface PgRunStoreOptions {
  /** This instance's id, kept on the runs it starts so that a live instance can interrupt them if it dies. */
  instanceId?: string
}

/**
 * The run history in PostgreSQL, behaving exactly as `SqliteRunStore` (the same contract tests run against
 * both). Each write the recorder sends is one statement, so one round trip; several instances may write at
 * once. The pool belongs to the caller: `close()` leaves it open for the other stores sharing it.
 */
export class PgRunStore implements T.RunStore {
  private readonly owner: string | null

  constructor(
    readonly pool: PgPool,
    options: PgRunStoreOptions = {},
  ) {
    this.owner = options.instanceId ?? null
  }

  async startRun(run: T.NewRun): Promise<void> {
    const targets = run.targets.map((t) => ({ ...targetParts(t.target), label: t.label }))
    const images = run.images ?? []
    const values = [
      run.run_id,
      run.parent_id,
      run.created_at.getTime(),
      this.owner,
      JSON.stringify(run.params),
      textParam(run.system),
      textParam(run.prompt),
      run.study_id ?? null,
      targets.map((t) => t.target),
      targets.map((t) => t.provider),
      targets.map((t) => t.model),
      targets.map((t) => t.label),
      ...imageColumns(images),
    ]
    await withFreshSeq(() => changes(this.pool, PG.startRun, values))
  }

  async appendPartials(updates: T.PartialUpdate[]): Promise<void> {
    if (updates.length === 0) return
    const merged = mergePartials(updates)
    await changes(this.pool, PG.appendPartials, [
      merged.map((u) => u.run_id),
      merged.map((u) => u.index),
      merged.map((u) => textParam(u.text)),
      merged.map((u) => textParam(u.reasoning)),
      merged.map((u) => u.attempts),
    ])
  }

  async saveResult(runId: string, index: number, result: TargetResult): Promise<void> {
    await changes(this.pool, PG.saveResult, [runId, index, ...resultParams(result)])
  }

  async finishRun(runId: string, finishedAt: Date): Promise<void> {
    await changes(this.pool, PG.finishRun, [runId, finishedAt.getTime()])
  }

  /** Every running run, whoever runs it: for a database only this process uses (as SQLite at start). */
  async recoverInterrupted(): Promise<number> {
    return this.interrupt(null)
  }

  /** What `recoverInterrupted` does, for the runs of these instances only (their leases expired). */
  async interruptRunsOf(owners: string[]): Promise<number> {
    return owners.length === 0 ? 0 : this.interrupt(owners)
  }

  private async interrupt(owners: string[] | null): Promise<number> {
    return (await rows<{ n: number }>(this.pool, PG.interrupt, [owners]))[0]!.n
  }

  async listRuns(query: T.RunListQuery): Promise<T.RunListPage> {
    const cursor: Cursor | undefined = query.cursor ? (decodeCursor(query.cursor) ?? undefined) : undefined
    if (query.cursor && !cursor) throw new RangeError('invalid cursor')
    const pageMode = !cursor && query.page !== undefined
    const offset = pageMode ? (query.page! - 1) * query.limit : 0
    const { where, values } = pgFilterSql(query, cursor, 3)
    // In page mode the count runs beside the page on another connection: it is the slow part at scale.
    const count = pageMode ? pgFilterSql(query) : null
    const [list, counted] = await Promise.all([
      rows<ListRow>(
        this.pool,
        `SELECT r.seq, r.id, r.created_at, r.status, r.turn, r.parent_id, r.conversation_id, r.study_id,
          substr(r.prompt, 1, ${PROMPT_HEAD}) AS prompt, length(r.prompt) > ${PROMPT_HEAD} AS truncated
        FROM runs r ${where} ORDER BY r.seq DESC LIMIT $1 OFFSET $2`,
        [query.limit + 1, offset, ...values],
      ),
      count ? rows<{ n: number }>(this.pool, `SELECT count(*) AS n FROM runs r ${count.where}`, count.values) : null,
    ])
    const page = await listPage(list, query, async (ids) => {
      const [targets, refs] = await Promise.all([
        rows<TargetRow>(this.pool, PG.listTargets, [ids]),
        this.imageRefs(ids),
      ])
      return { targets, images: refs }
    })
    return counted ? { ...page, ...pageCount(query, counted[0]!.n) } : page
  }

  async getRun(runId: string): Promise<T.RunDetail | null> {
    const [run] = await rows<RunRow>(this.pool, PG.runById, [runId])
    if (!run) return null
    const [results, parent, children, refs] = await Promise.all([
      rows<ResultRow>(this.pool, PG.resultsOf, [runId]),
      run.parent_id ? rows<LinkRow>(this.pool, PG.link, [run.parent_id]) : Promise.resolve([]),
      rows<LinkRow>(this.pool, PG.children, [runId]),
      this.imageRefs([runId]),
    ])
    return {
      ...withImages(toStoredRun(run, results), refs.get(runId)),
      parent: parent[0] ? toRunLink(parent[0]) : null,
      children: children.map(toRunLink),
    }
  }

  async conversationFor(runId: string): Promise<Record<string, ChatMessage[]> | null> {
    const chain = await rows<ChainTurn>(this.pool, chainSql('$1'), [runId])
    if (chain.length === 0) return null
    const ids = [...new Set(chain.map((t) => t.id))]
    const [answers, images] = await Promise.all([
      rows<TurnAnswer>(this.pool, PG.answers, [ids]),
      rows<ImageBytes & { run_id: string }>(this.pool, PG.dataOfMany, [ids]),
    ])
    return buildConversation(chain, answers, dataByRun(images))
  }

  async deleteRun(runId: string): Promise<T.DeleteOutcome> {
    return pgTransaction(this.pool, async (client): Promise<T.DeleteOutcome> => {
      const found = await rows<{ id: string; status: T.RunStatus }>(client, PG.descendants, [runId])
      if (found.length === 0) return { status: 'not-found' }
      const running = found.filter((r) => r.status === 'running').map((r) => r.id)
      if (running.length > 0) return { status: 'running', run_ids: running }
      const ids = found.map((r) => r.id)
      const hashes = (await rows<{ sha256: string }>(client, PG.hashesOfMany, [ids])).map((r) => r.sha256)
      await changes(client, PG.deleteMany, [ids])
      if (hashes.length > 0) await changes(client, PG.dropOrphans, [hashes])
      return { status: 'deleted', run_ids: ids }
    })
  }

  async *exportRuns(filter: T.RunFilter): AsyncIterable<T.StoredRun> {
    // The matching ids first (one search), then the runs in batches, as the SQLite store does.
    const { where, values } = pgFilterSql(filter)
    const ids = (
      await rows<{ id: string }>(this.pool, `SELECT r.id FROM runs r ${where} ORDER BY r.seq DESC`, values)
    ).map((r) => r.id)
    for (let at = 0; at < ids.length; at += EXPORT_BATCH) {
      const batch = ids.slice(at, at + EXPORT_BATCH)
      const [runList, results, refs] = await Promise.all([
        rows<RunRow>(this.pool, PG.runsOfMany, [batch]),
        rows<ResultRow>(this.pool, PG.resultsOfMany, [batch]),
        this.imageRefs(batch),
      ])
      const runs = new Map(runList.map((r) => [r.id, r]))
      const byRun = groupByRun(results)
      for (const id of batch) {
        const run = runs.get(id)
        // Deleted since the export began.
        if (run) yield withImages(toStoredRun(run, byRun.get(id) ?? []), refs.get(id))
      }
    }
  }

  /** One transaction; each run in a savepoint, so a run the database refuses is undone alone. */
  async importRuns(runs: T.StoredRun[], images: ReadonlyMap<string, ImageBlob> = new Map()): Promise<T.ImportOutcome> {
    if (runs.length === 0) return { imported: 0, skipped: 0, skipped_runs: [] }
    return pgTransaction(this.pool, async (client): Promise<T.ImportOutcome> => {
      let imported = 0
      const skipped: T.SkippedRun[] = []
      for (const [index, run] of runs.entries()) {
        await client.query('SAVEPOINT one_run')
        try {
          if (await importOne(client, run, images)) imported++
          else skipped.push({ index, run_id: run.run_id, reason: 'already stored' })
          await client.query('RELEASE SAVEPOINT one_run')
        } catch (err) {
          await client.query('ROLLBACK TO SAVEPOINT one_run')
          const reason = `not stored: ${err instanceof Error ? err.message : String(err)}`
          skipped.push({ index, run_id: run.run_id, reason })
        }
      }
      return { imported, skipped: skipped.length, skipped_runs: skipped }
    })
  }

  async getImage(sha256: string): Promise<{ mime: string; data: Buffer } | null> {
    return (await rows<{ mime: string; data: Buffer }>(this.pool, PG.image, [sha256]))[0] ?? null
  }

  /** Grouped by day and target in SQL with NUMERIC sums (exact at any size), read as BigInt and folded as SQLite's. */
  async spend(query: T.SpendQuery): Promise<T.SpendReport> {
    const clauses = ["status <> 'running'"]
    const values: number[] = []
    if (query.from) {
      values.push(query.from.getTime())
      clauses.push(`created_at >= $${values.length}`)
    }
    if (query.to) {
      values.push(query.to.getTime())
      clauses.push(`created_at < $${values.length}`)
    }
    // Division truncates toward zero, as SQLite's does: the same day for every time.
    const groups = await rows<SpendGroup>(
      this.pool,
      `SELECT created_at / ${DAY_MS} AS day, target, provider, count(*)::numeric AS requests,
        count(cost_pico)::numeric AS priced, coalesce(sum(cost_pico), 0) AS pico
      FROM results WHERE ${clauses.join(' AND ')} GROUP BY 1, target, provider`,
      values,
    )
    const targets = [...new Set(groups.map((g) => g.target))]
    const labels = await rows<{ target: string; label: string }>(this.pool, PG.labels, [targets])
    return foldSpend(query, groups, new Map(labels.map((l) => [l.target, l.label])))
  }

  /** The pool is the caller's (other stores share it). */
  async close(): Promise<void> {}

  private async imageRefs(runIds: string[]): Promise<Map<string, ImageRef[]>> {
    return refsByRun(await rows<ImageRef & { run_id: string }>(this.pool, PG.refsOfMany, [runIds]))
  }
}

interface LinkRow {
  id: string
  created_at: number
  status: T.RunStatus
  study_id: string | null
  prompt: string
}

async function withFreshSeq<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      const e = err as { code?: string; constraint?: string }
      if (e.code !== UNIQUE_VIOLATION || e.constraint !== 'runs_pkey' || attempt >= SEQ_ATTEMPTS) throw err
    }
  }
}
