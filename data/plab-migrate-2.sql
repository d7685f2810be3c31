-- Parallel Lab run store: schema version 1 to 2.
-- Runs get AUTOINCREMENT ids (a deleted run's id is never reused) and a
-- trigger deletes a run's spans, counters and lanes with it. SQLite cannot
-- add AUTOINCREMENT to a table, so `runs` is rebuilt (foreign key checks are
-- off while the store is opened, so dropping the old table deletes nothing
-- that refers to it). Rows left behind by runs deleted before version 2 go.

CREATE TABLE runs_v2 (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  demo           TEXT NOT NULL,
  backend        TEXT NOT NULL,
  workers        INTEGER NOT NULL,
  params         TEXT NOT NULL DEFAULT '{}',
  seed           INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'cancelled')),
  started_at_us  INTEGER NOT NULL,
  wall_ns        INTEGER,
  cpu_ns         INTEGER,
  result         TEXT NOT NULL DEFAULT '{}',
  check_ok       INTEGER NOT NULL DEFAULT 0,
  check_message  TEXT,
  error          TEXT,
  sweep_id       INTEGER REFERENCES sweeps (id),
  repeat         INTEGER NOT NULL DEFAULT 0,
  machine_id     INTEGER REFERENCES machines (id),
  runner_pid     INTEGER NOT NULL,
  runner_start   INTEGER NOT NULL,
  runner_host    TEXT NOT NULL,
  origin_ns      INTEGER NOT NULL DEFAULT 0,
  n_spans        INTEGER NOT NULL DEFAULT 0,
  max_span_ns    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs_v2 (id, demo, backend, workers, params, seed, status, started_at_us, wall_ns,
                     cpu_ns, result, check_ok, check_message, error, sweep_id, repeat,
                     machine_id, runner_pid, runner_start, runner_host, origin_ns, n_spans,
                     max_span_ns)
  SELECT id, demo, backend, workers, params, seed, status, started_at_us, wall_ns, cpu_ns,
         result, check_ok, check_message, error, sweep_id, repeat, machine_id, runner_pid,
         runner_start, runner_host, origin_ns, n_spans, max_span_ns
  FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_demo ON runs (demo, id);
CREATE INDEX runs_sweep ON runs (sweep_id);
CREATE INDEX runs_status ON runs (status);

DELETE FROM spans WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM counters WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM lanes WHERE run_id NOT IN (SELECT id FROM runs);

CREATE TRIGGER runs_delete AFTER DELETE ON runs
BEGIN
  DELETE FROM spans WHERE run_id = old.id;
  DELETE FROM counters WHERE run_id = old.id;
  DELETE FROM lanes WHERE run_id = old.id;
END;
