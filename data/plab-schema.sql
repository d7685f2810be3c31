-- Parallel Lab run store, schema version 5 (a new store gets all of it at once;
-- plab-migrate-N.sql brings a version N - 1 store a step nearer).
-- Times: *_at_us are wall-clock microseconds since the epoch; *_ns in spans and
-- counters are monotonic nanoseconds since the run's origin.

CREATE TABLE machines (
  id            INTEGER PRIMARY KEY,
  host          TEXT NOT NULL,
  cpu_model     TEXT NOT NULL,
  usable_cpus   INTEGER NOT NULL,
  online_cpus   INTEGER NOT NULL,
  os            TEXT NOT NULL,
  compiler      TEXT NOT NULL,
  plab_version  TEXT NOT NULL,
  UNIQUE (host, cpu_model, usable_cpus, online_cpus, os, compiler, plab_version)
);

-- What a machine measured once and every run on it reuses: "spin_rate" is
-- rounds of the demos' CPU loop per CPU second (version 5).
CREATE TABLE calibrations (
  machine_id      INTEGER NOT NULL REFERENCES machines (id),
  name            TEXT NOT NULL,
  value           REAL NOT NULL CHECK (value > 0),
  cpu_ns          INTEGER NOT NULL,
  wall_ns         INTEGER NOT NULL,
  measured_at_us  INTEGER NOT NULL,
  PRIMARY KEY (machine_id, name)
);

CREATE TABLE sweeps (
  id            INTEGER PRIMARY KEY,
  demo          TEXT NOT NULL,
  label         TEXT,
  created_at_us INTEGER NOT NULL
);

-- AUTOINCREMENT: a deleted run's id is never given to a later run, so
-- nothing left behind under an old id (a copy, a chart, a note) can be taken
-- for the new run.
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  demo           TEXT NOT NULL,
  backend        TEXT NOT NULL,
  workers        INTEGER NOT NULL,
  params         TEXT NOT NULL DEFAULT '{}',   -- JSON object
  seed           INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'cancelled')),
  started_at_us  INTEGER NOT NULL,
  wall_ns        INTEGER,
  cpu_ns         INTEGER,
  result         TEXT NOT NULL DEFAULT '{}',   -- JSON object, the demo's summary
  check_ok       INTEGER NOT NULL DEFAULT 0,
  check_message  TEXT,
  error          TEXT,
  sweep_id       INTEGER REFERENCES sweeps (id),
  repeat         INTEGER NOT NULL DEFAULT 0,
  machine_id     INTEGER REFERENCES machines (id),
  runner_pid     INTEGER NOT NULL,
  runner_start   INTEGER NOT NULL,           -- the runner's start ticks: pid + ticks name it
  runner_host    TEXT NOT NULL,
  origin_ns      INTEGER NOT NULL DEFAULT 0, -- the trace origin, CLOCK_MONOTONIC ns
  n_spans        INTEGER NOT NULL DEFAULT 0, -- rows in spans, kept with every batch
  max_span_ns    INTEGER NOT NULL DEFAULT 0, -- the longest span: bounds range scans
  -- The machine around the run (plab-machine-load.h); all NULL: not measured.
  load_avg_1m        REAL,    -- the 1-minute load average before the run
  load_cpus          INTEGER, -- the CPUs measured: those the runner may use
  load_others_share  REAL,    -- CPU time of other programs / (window x CPUs)
  load_steal_share   REAL,    -- time stolen by a hypervisor / (window x CPUs)
  load_window_ns     INTEGER  -- how long the measurement lasted
);
CREATE INDEX runs_demo ON runs (demo, id);
CREATE INDEX runs_sweep ON runs (sweep_id);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE lanes (
  run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  lane         INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('main', 'process', 'thread')),
  pid          INTEGER NOT NULL DEFAULT 0,
  tid          INTEGER NOT NULL DEFAULT 0,
  name         TEXT NOT NULL,
  end_state    TEXT NOT NULL DEFAULT 'running' CHECK (end_state IN ('running', 'exited', 'killed')),
  exit_code    INTEGER NOT NULL DEFAULT 0,
  exit_signal  INTEGER NOT NULL DEFAULT 0,
  dropped      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, lane)
) WITHOUT ROWID;

-- Spans are stored in the order range queries read them: the table itself is
-- the index (run, lane, start), so a window of one lane is one contiguous scan
-- and a batch of spans costs one b-tree insert each. seq numbers the spans of
-- a run (0, 1, 2, ...) and only keeps equal start times apart. A span
-- overlaps [from, to] when start_ns <= to and end_ns >= from; since no span is
-- longer than runs.max_span_ns, the scan starts at from - max_span_ns.
CREATE TABLE spans (
  run_id    INTEGER NOT NULL,
  lane      INTEGER NOT NULL,
  start_ns  INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  end_ns    INTEGER NOT NULL,
  kind      INTEGER NOT NULL,   -- PlabSpanKind; names in span_kinds
  label     TEXT,               -- NULL when empty
  task_id   INTEGER NOT NULL DEFAULT -1,
  flow      INTEGER,            -- PlabFlow: 1 put, 2 get; NULL when the span moves no item
  item      INTEGER,            -- the item put or got (a car's number); NULL with flow
  PRIMARY KEY (run_id, lane, start_ns, seq)
) WITHOUT ROWID;

CREATE TABLE counters (
  run_id  INTEGER NOT NULL,
  lane    INTEGER NOT NULL DEFAULT 0, -- the lane that sampled it
  name    TEXT NOT NULL,
  t_ns    INTEGER NOT NULL,
  value   INTEGER NOT NULL
);
CREATE INDEX counters_range ON counters (run_id, name, t_ns);

-- A run's rows go with it, whoever deletes it: spans and counters have no
-- foreign key (a check per row would slow bulk writes), and a foreign key
-- only acts where the client turned it on, which the sqlite3 shell does not.
-- A trigger acts for every client.
CREATE TRIGGER runs_delete AFTER DELETE ON runs
BEGIN
  DELETE FROM spans WHERE run_id = old.id;
  DELETE FROM counters WHERE run_id = old.id;
  DELETE FROM lanes WHERE run_id = old.id;
END;

-- The names of span kinds, so that the file explains itself to any SQLite reader.
CREATE TABLE span_kinds (
  kind  INTEGER PRIMARY KEY,
  name  TEXT NOT NULL
);
INSERT INTO span_kinds VALUES
  (0, 'task'), (1, 'lock wait'), (2, 'queue wait'), (3, 'gil wait'), (4, 'sleep'),
  (5, 'io'), (6, 'spawn'), (7, 'exit'), (8, 'wait'), (9, 'crash'), (10, 'counter'),
  (11, 'core wait'), (12, 'send'), (13, 'receive'), (14, 'collective');

-- Attempts at exercises (version 7).
CREATE TABLE attempts (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  exercise           TEXT NOT NULL,
  folder             TEXT NOT NULL,             -- the student's folder, absolute
  checked_at_us      INTEGER NOT NULL,          -- wall clock, microseconds since the epoch
  passed             INTEGER NOT NULL CHECK (passed IN (0, 1)),
  verdict            TEXT NOT NULL,             -- passed, wrong, crashed, hung, serial, slow, failed
  message            TEXT NOT NULL,             -- the check's words to the student
  run_id             INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  reference_run_id   INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  wall_ns            INTEGER,                   -- the student's program
  reference_wall_ns  INTEGER,                   -- the reference, in the same check
  speed              REAL                       -- reference_wall_ns / wall_ns
);
CREATE INDEX attempts_exercise ON attempts (exercise, id);
