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
  reply_at REAL
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
