import { SEQ_PER_MS } from '../migrations.ts'
import { LINK_PROMPT, RESULT_COLUMNS } from '../run-sql.ts'

/** The next free key in the run's millisecond, `$at` being its start (ms); see SQLite's migration 3. */
const nextSeq = (at: string) => `(SELECT coalesce(max(seq) + 1, ${at}::bigint * ${SEQ_PER_MS}) FROM runs
  WHERE seq >= ${at}::bigint * ${SEQ_PER_MS} AND seq < (${at}::bigint + 1) * ${SEQ_PER_MS})`

const LINK_COLUMNS = `id, created_at, status, study_id, substr(prompt, 1, ${LINK_PROMPT}) AS prompt`

/** Images stored once per hash ($i), linked to run $run in order; a CTE tail for one-statement writes. */
const imagesCte = (run: string, i: number) => `stored AS (
    INSERT INTO images (sha256, mime, bytes, data)
    SELECT * FROM unnest($${i}::text[], $${i + 1}::text[], $${i + 2}::int[], $${i + 3}::bytea[])
    ON CONFLICT (sha256) DO NOTHING
  ), linked AS (
    INSERT INTO run_images (run_id, idx, sha256)
    SELECT ${run}, n - 1, sha256 FROM unnest($${i}::text[]) WITH ORDINALITY AS i (sha256, n)
  )`

/** The statements of the PostgreSQL run store; filters build theirs in pg-run-filter.ts. */
export const PG = {
  /**
   * A run, its targets and its images in one statement (one round trip): foreign keys are checked at its end.
   * $1 id, $2 parent, $3 start (ms), $4 owner, $5 params, $6 system, $7 prompt, $8 study, $9–$12 the targets'
   * target/provider/model/label, $13–$16 the images' sha256/mime/bytes/data.
   */
  startRun: `WITH run AS (
      INSERT INTO runs (seq, id, conversation_id, parent_id, turn, created_at, status, owner, params, system, prompt,
        study_id)
      SELECT ${nextSeq('$3')}, $1, coalesce(p.conversation_id, $1), $2, coalesce(p.turn + 1, 1), $3, 'running', $4,
        $5, $6, $7, $8
      FROM (SELECT 1) AS one LEFT JOIN runs p ON p.id = $2
    ), targets AS (
      INSERT INTO results (run_id, idx, created_at, target, provider, model, label, status)
      SELECT $1, n - 1, $3, target, provider, model, label, 'running'
      FROM unnest($9::text[], $10::text[], $11::text[], $12::text[]) WITH ORDINALITY AS t (target, provider, model,
        label, n)
    ), ${imagesCte('$1', 13)}
    SELECT 1`,
  /** Every partial of a flush in one statement: $1–$5 run ids, indexes, text, reasoning, attempts. */
  appendPartials: `UPDATE results r SET text = r.text || u.text, reasoning = r.reasoning || u.reasoning,
      attempts = coalesce(u.attempts, r.attempts)
    FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[]) AS u (run_id, idx, text, reasoning, attempts)
    WHERE r.run_id = u.run_id AND r.idx = u.idx AND r.status = 'running'`,
  saveResult: `UPDATE results SET ${RESULT_COLUMNS.map((c, i) => `${c} = $${i + 3}`).join(', ')}
    WHERE run_id = $1 AND idx = $2`,
  /** A target whose final result could not be written must not stay `running` once its run is done. */
  finishRun: `WITH closed AS (UPDATE results SET status = 'interrupted' WHERE run_id = $1 AND status = 'running')
    UPDATE runs SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'running'`,
  /** Kept text stays: only the status changes. $1: the owners, or null for every running run. */
  interrupt: `WITH gone AS (
      UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND ($1::text[] IS NULL OR owner = ANY($1))
      RETURNING id
    ), targets AS (
      UPDATE results SET status = 'interrupted' WHERE status = 'running' AND run_id IN (SELECT id FROM gone)
    )
    SELECT count(*) AS n FROM gone`,
  importRun: `INSERT INTO runs
      (seq, id, conversation_id, parent_id, turn, created_at, finished_at, status, params, system, prompt)
    VALUES (${nextSeq('$5')}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (id) DO NOTHING`,
  /** $1 run, $2 idx, $3 start, $4–$6 target/provider/model, then RESULT_COLUMNS. */
  importResult: `INSERT INTO results (run_id, idx, created_at, target, provider, model, ${RESULT_COLUMNS.join(', ')})
    VALUES (${Array.from({ length: RESULT_COLUMNS.length + 6 }, (_, i) => `$${i + 1}`).join(', ')})`,
  /** Images of an imported run: $1 run, $2–$5 as in startRun. */
  linkImages: `WITH ${imagesCte('$1', 2)} SELECT 1`,
  runById: 'SELECT * FROM runs WHERE id = $1',
  resultsOf: 'SELECT * FROM results WHERE run_id = $1 ORDER BY idx',
  runsOfMany: 'SELECT * FROM runs WHERE id = ANY($1)',
  resultsOfMany: 'SELECT * FROM results WHERE run_id = ANY($1) ORDER BY run_id, idx',
  link: `SELECT ${LINK_COLUMNS} FROM runs WHERE id = $1`,
  children: `SELECT ${LINK_COLUMNS} FROM runs WHERE parent_id = $1 ORDER BY created_at, id`,
  /** The run and its follow-ups, locked so none starts or finishes while they are deleted. */
  descendants: `WITH RECURSIVE d (id) AS (
      SELECT id FROM runs WHERE id = $1 UNION SELECT r.id FROM runs r JOIN d ON r.parent_id = d.id)
    SELECT runs.id, runs.status FROM d JOIN runs ON runs.id = d.id FOR UPDATE OF runs`,
  deleteMany: 'DELETE FROM runs WHERE id = ANY($1)',
  refsOfMany: `SELECT ri.run_id, ri.idx, i.sha256, i.mime, i.bytes FROM run_images ri JOIN images i USING (sha256)
    WHERE ri.run_id = ANY($1) ORDER BY ri.run_id, ri.idx`,
  dataOfMany: `SELECT ri.run_id, i.mime, i.data FROM run_images ri JOIN images i USING (sha256)
    WHERE ri.run_id = ANY($1) ORDER BY ri.run_id, ri.idx`,
  hashesOfMany: 'SELECT DISTINCT sha256 FROM run_images WHERE run_id = ANY($1)',
  image: 'SELECT mime, data FROM images WHERE sha256 = $1',
  dropOrphans: `DELETE FROM images WHERE sha256 = ANY($1)
    AND NOT EXISTS (SELECT 1 FROM run_images WHERE run_images.sha256 = images.sha256)`,
  answers: 'SELECT run_id, target, text FROM results WHERE run_id = ANY($1) ORDER BY idx',
  listTargets: `SELECT run_id, target, label, status, cost_pico, total_ms FROM results
    WHERE run_id = ANY($1) ORDER BY run_id, idx`,
  /** Each target's most recent label (run ids compared bytewise, as SQLite does). */
  labels: `SELECT DISTINCT ON (target) target, label FROM results WHERE target = ANY($1)
    ORDER BY target, run_id COLLATE "C" DESC`,
}
