/** Run keys per millisecond of start time: keys stay exact JavaScript integers until the year 2248. */
export const SEQ_PER_MS = 1024

export interface Migration {
  /** Becomes `PRAGMA user_version` once applied; versions are consecutive from 1. */
  version: number
  name: string
  sql: string
}

/**
 * The schema, one step per version, applied in order at start. Never edit a shipped step: append one.
 *
 * Column order is deliberate: small columns first, big text (prompt, answer, reasoning) last, so list and
 * spend queries never walk the overflow pages of long texts.
 */
export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'runs, target results, prompt search',
    sql: `
      CREATE TABLE runs (
        -- A stable integer key: the FTS index refers to it, and implicit rowids may change on VACUUM.
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        -- The first run of the conversation; a follow-up turn points at the run it continues.
        conversation_id TEXT NOT NULL,
        parent_id TEXT,
        turn INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted')),
        params TEXT NOT NULL DEFAULT '{}',
        system TEXT,
        prompt TEXT NOT NULL
      );
      CREATE INDEX runs_by_time ON runs (created_at, id);
      CREATE INDEX runs_by_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;
      CREATE INDEX runs_running ON runs (id) WHERE status = 'running';

      CREATE TABLE results (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        label TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'ok', 'error', 'cancelled', 'timeout', 'interrupted')),
        reported_model TEXT,
        finish_reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        input_tokens INTEGER,
        cached_input_tokens INTEGER,
        output_tokens INTEGER,
        reasoning_tokens INTEGER,
        usage_source TEXT NOT NULL DEFAULT 'none',
        -- Exact total in pico-dollars (1e-12 USD) for sums; NULL when the cost is unknown.
        cost_pico INTEGER,
        ttft_ms REAL,
        first_answer_ms REAL,
        total_ms REAL,
        output_tokens_per_s REAL,
        cost_json TEXT,
        error_json TEXT,
        text TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        UNIQUE (run_id, idx)
      );
      CREATE INDEX results_by_target ON results (target, run_id);
      CREATE INDEX results_running ON results (run_id) WHERE status = 'running';

      -- Substring search on prompts (trigram), kept in sync with runs by triggers.
      CREATE VIRTUAL TABLE runs_fts USING fts5 (
        prompt, content = 'runs', content_rowid = 'seq',
        tokenize = 'trigram case_sensitive 0 remove_diacritics 1'
      );
      CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_fts (rowid, prompt) VALUES (new.seq, new.prompt);
      END;
      CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
        INSERT INTO runs_fts (runs_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
      END;
      CREATE TRIGGER runs_fts_update AFTER UPDATE OF prompt ON runs BEGIN
        INSERT INTO runs_fts (runs_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
        INSERT INTO runs_fts (rowid, prompt) VALUES (new.seq, new.prompt);
      END;
    `,
  },
  {
    version: 2,
    name: 'spend index',
    // A target result's run start, copied (it never changes) so spend sums read one covering index instead of
    // joining 300,000 rows to their runs.
    sql: `
      ALTER TABLE results ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
      UPDATE results SET created_at = (SELECT created_at FROM runs WHERE runs.id = results.run_id);
      CREATE INDEX results_spend ON results (created_at, status, target, provider, cost_pico);
    `,
  },
  {
    version: 3,
    name: 'time-ordered run keys',
    // seq = created_at * 1024 + n: newest-first is then rowid order, which the search index can walk lazily
    // (a common word's first page no longer collects every match). Old keys are moved out of the way first.
    sql: `
      CREATE TEMP TABLE rekey (old INTEGER PRIMARY KEY, new INTEGER NOT NULL);
      INSERT INTO rekey
        SELECT seq, created_at * ${SEQ_PER_MS} + row_number() OVER (PARTITION BY created_at ORDER BY seq) - 1 FROM runs;
      UPDATE runs SET seq = -1 - seq;
      UPDATE runs SET seq = (SELECT new FROM rekey WHERE old = -1 - runs.seq);
      DROP TABLE temp.rekey;
      DROP INDEX runs_by_time;
      INSERT INTO runs_fts (runs_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 4,
    name: 'login sessions',
    // Only a hash of each session id (the cookie value is never stored) and which token issued it; see
    // src/security/sessions.ts. Unrelated to runs, so it can be renumbered freely.
    sql: `
      CREATE TABLE login_sessions (
        id_hash TEXT PRIMARY KEY,
        token_fp TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX login_sessions_by_expiry ON login_sessions (expires_at);
    `,
  },
  {
    version: 5,
    name: 'prompt images',
    // Images attached to prompts, stored once per content hash (the same image in many runs is one row);
    // runs reference them in order. Self-contained: its own tables, nothing earlier changes.
    sql: `
      CREATE TABLE images (
        sha256 TEXT PRIMARY KEY,
        mime TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
        bytes INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE TABLE run_images (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES images (sha256),
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;
      CREATE INDEX run_images_by_image ON run_images (sha256);
    `,
  },
  {
    version: 6,
    name: 'compare-form presets',
    // Named prompt + targets + parameters (src/storage/sqlite-preset-store.ts). Unrelated to runs, so it can be
    // renumbered freely. NOCASE: "Review" and "review" are the same name.
    sql: `
      CREATE TABLE presets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        temperature REAL,
        max_tokens INTEGER,
        targets TEXT NOT NULL DEFAULT '[]',
        system TEXT,
        prompt TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'studies',
    // A study (src/studies/) and one row per cell (prompt × target × repeat), written as each cell ends, so a
    // crash never loses a finished one. A cell copies its run's figures: the study stays whole if the run is
    // deleted from history. Runs made by a study point back at it (history shows a badge). Self-contained.
    sql: `
      CREATE TABLE studies (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'interrupted')),
        stop_reason TEXT CHECK (stop_reason IN ('paused', 'restart', 'budget', 'error')),
        name TEXT NOT NULL,
        input TEXT NOT NULL
      );
      CREATE INDEX studies_by_time ON studies (created_at, id);
      CREATE TABLE study_cells (
        study_id TEXT NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
        prompt_index INTEGER NOT NULL,
        target_index INTEGER NOT NULL,
        repeat INTEGER NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error', 'cancelled')),
        run_id TEXT,
        started_at INTEGER,
        finished_at INTEGER,
        error_kind TEXT,
        cost_pico INTEGER,
        cost_reason TEXT,
        ttft_ms REAL,
        total_ms REAL,
        input_tokens INTEGER,
        cached_input_tokens INTEGER,
        output_tokens INTEGER,
        reasoning_tokens INTEGER,
        output_tokens_per_s REAL,
        expected_pass INTEGER,
        error_message TEXT,
        answer TEXT NOT NULL DEFAULT '',
        first_answer_ms REAL,
        attempts INTEGER,
        finish_reason TEXT,
        input_cost_usd REAL,
        output_cost_usd REAL,
        price_source TEXT,
        PRIMARY KEY (study_id, prompt_index, target_index, repeat)
      ) WITHOUT ROWID;
      -- The summary of a study whose cells no longer change, so GET /api/studies need not read every study's
      -- cells (and bootstrap its ratios) on every call; key says what it was computed from.
      CREATE TABLE study_summaries (
        study_id TEXT PRIMARY KEY REFERENCES studies (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        summary TEXT NOT NULL
      ) WITHOUT ROWID;
      ALTER TABLE runs ADD COLUMN study_id TEXT;
      CREATE INDEX runs_by_study ON runs (study_id) WHERE study_id IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'arena: blind runs and votes',
    // Self-contained (src/storage/arena-store.ts): no foreign key to runs, because a blind run's letters are
    // written before the recorder's queued insert of the run itself; a trigger deletes both with the run.
    // `targets` of a vote is the JSON list of what it compares: every target of the run for a human vote, the
    // two answers of one pair for a judge's verdict.
    sql: `
      CREATE TABLE run_blind (
        run_id TEXT PRIMARY KEY,
        letters TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE votes (
        run_id TEXT NOT NULL,
        source TEXT NOT NULL,
        targets TEXT NOT NULL,
        winner TEXT NOT NULL,
        blind INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        detail TEXT,
        PRIMARY KEY (run_id, source, targets)
      ) WITHOUT ROWID;
      CREATE INDEX votes_by_time ON votes (created_at);
      CREATE TRIGGER runs_arena_delete AFTER DELETE ON runs BEGIN
        DELETE FROM run_blind WHERE run_id = old.id;
        DELETE FROM votes WHERE run_id = old.id;
      END;
      -- The last LLM judging of a study against its reference (src/arena/study-judge.ts), as one JSON record.
      CREATE TABLE study_judge (
        study_id TEXT PRIMARY KEY,
        record TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
]
