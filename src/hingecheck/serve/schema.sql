-- The server's SQLite tables (store.py runs this at every start: each CREATE is IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS trainer (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,
  session_epoch INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sets (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  client_id INTEGER NOT NULL REFERENCES clients(id),
  stored_name TEXT NOT NULL,
  original_name TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  video_s REAL NOT NULL,
  exercise TEXT,
  note TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  uploaded REAL NOT NULL,
  started REAL,
  finished REAL,
  attempts INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  reps INTEGER,
  faults_json TEXT,
  seconds REAL,
  seen REAL,
  reviewed REAL,
  reply TEXT NOT NULL DEFAULT '',
  reply_at REAL,
  overlay_id INTEGER
);
CREATE INDEX IF NOT EXISTS sets_client ON sets (client_id, uploaded);
CREATE INDEX IF NOT EXISTS sets_state ON sets (state, uploaded);
CREATE TABLE IF NOT EXISTS verdicts (
  set_id INTEGER NOT NULL REFERENCES sets(id),
  fault_index INTEGER NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree')),
  at REAL NOT NULL,
  PRIMARY KEY (set_id, fault_index)
);
CREATE TABLE IF NOT EXISTS missed (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sets(id),
  type TEXT NOT NULL,
  time_s REAL NOT NULL,
  at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (ip TEXT NOT NULL, at REAL NOT NULL);
-- "Tune to my verdicts": each run of the calibration on the trainer's reviewed sets is a version
-- (its overlay TOML, as `hingecheck calibrate` writes it, and per fault the figures behind it).
CREATE TABLE IF NOT EXISTS overlays (
  id INTEGER PRIMARY KEY,
  created REAL NOT NULL,
  toml TEXT NOT NULL,
  fits_json TEXT NOT NULL,
  sets INTEGER NOT NULL,
  clients INTEGER NOT NULL,
  tuned TEXT NOT NULL DEFAULT ''
);
-- Which version judges new sets: the latest row (overlay_id NULL: the defaults).
CREATE TABLE IF NOT EXISTS overlay_changes (
  id INTEGER PRIMARY KEY,
  overlay_id INTEGER REFERENCES overlays(id),
  at REAL NOT NULL
);
-- The trainer's verdicts on calls a re-judge took away (kept, and put back on the call if a
-- later re-judge makes it again): agree counts as a fault seen, disagree as one refused.
CREATE TABLE IF NOT EXISTS dropped_verdicts (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sets(id),
  type TEXT NOT NULL,
  rep INTEGER NOT NULL,
  peak_s REAL NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree')),
  at REAL NOT NULL
);
-- The trainer's corrections of the rep count: a counted rep that isn't one, a missed rep at
-- the video's playhead.
CREATE TABLE IF NOT EXISTS rep_marks (
  id INTEGER PRIMARY KEY,
  set_id INTEGER NOT NULL REFERENCES sets(id),
  kind TEXT NOT NULL CHECK (kind IN ('not_a_rep', 'missed', 'count_ok')),
  rep INTEGER,
  time_s REAL,
  at REAL NOT NULL
);
-- Each re-judge of past sets from their cached tracks: the calls that changed.
CREATE TABLE IF NOT EXISTS rejudges (
  id INTEGER PRIMARY KEY,
  at REAL NOT NULL,
  overlay_id INTEGER,
  changes_json TEXT NOT NULL
);
