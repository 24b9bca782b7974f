/**
 * Runs, target results, prompt images and prompt search: what SQLite migrations 1–3, 5 and `runs.study_id` of 7
 * hold, in one step. Times are epoch milliseconds and `seq` the same time-ordered key as SQLite's
 * (created_at * SEQ_PER_MS + n), so cursors and row conversion are shared. Costs are NUMERIC pico-dollars: sums
 * never overflow. `params` stays TEXT (jsonb would reorder its keys). `owner` is the instance running the run
 * (null once imported): a live instance interrupts the running runs of one whose lease expired.
 */
export const runsSchema = `
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE EXTENSION IF NOT EXISTS unaccent;
  -- Search folds accents like SQLite's trigram index (remove_diacritics); IMMUTABLE so an index can use it.
  CREATE FUNCTION juxta_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, t);

  CREATE TABLE runs (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    parent_id TEXT,
    turn INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted')),
    owner TEXT,
    study_id TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    system TEXT,
    prompt TEXT NOT NULL
  );
  CREATE INDEX runs_by_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX runs_running ON runs (owner) WHERE status = 'running';
  CREATE INDEX runs_by_study ON runs (study_id) WHERE study_id IS NOT NULL;
  CREATE INDEX runs_prompt_trgm ON runs USING gin (juxta_fold(prompt) gin_trgm_ops);

  CREATE TABLE results (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    target TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'error', 'cancelled', 'timeout', 'interrupted')),
    reported_model TEXT,
    finish_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    input_tokens INTEGER, cached_input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER,
    usage_source TEXT NOT NULL DEFAULT 'none',
    cost_pico NUMERIC(30, 0),
    ttft_ms DOUBLE PRECISION,
    first_answer_ms DOUBLE PRECISION,
    total_ms DOUBLE PRECISION,
    output_tokens_per_s DOUBLE PRECISION,
    cost_json TEXT,
    error_json TEXT,
    text TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, idx)
  );
  CREATE INDEX results_by_target ON results (target, run_id);
  CREATE INDEX results_running ON results (run_id) WHERE status = 'running';
  CREATE INDEX results_spend ON results (created_at, status, target, provider) INCLUDE (cost_pico);

  -- Images once per content hash, referenced by runs in order (SQLite migration 5).
  CREATE TABLE images (
    sha256 TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    mime TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
    bytes INTEGER NOT NULL CHECK (bytes = octet_length(data)),
    data BYTEA NOT NULL
  );
  CREATE TABLE run_images (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, idx INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES images (sha256),
    PRIMARY KEY (run_id, idx)
  );
  CREATE INDEX run_images_by_image ON run_images (sha256);
`
