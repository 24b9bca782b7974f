/**
 * What several instances share besides history: login sessions, the settings documents (stored keys, sealed
 * with JUXTA_SECRET, and custom providers) and the instances' leases. Times in milliseconds since the epoch are
 * BIGINT, as the session rules compute with them; the rest are timestamps.
 */
export const teamSchema = `
CREATE TABLE login_sessions (
  id_hash TEXT PRIMARY KEY,
  token_fp TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX login_sessions_expires_at ON login_sessions (expires_at);

-- One JSON document per settings store; version grows by one per write, so two instances never overwrite each
-- other's change unseen (a write names the version it read).
CREATE TABLE settings_documents (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  -- Where this instance keeps live state (a fingerprint of its Redis and prefix; NULL: none): instances that
  -- share a database must share it too.
  live_state TEXT
);
`
