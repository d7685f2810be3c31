-- Parallel Lab run store: schema version 6 to 7.
-- Attempts: each `plab exercise check` that got as far as running the
-- student's program, with its verdict and the two runs it compared; and the
-- names of the span kinds of the mpi backend (send, receive, collective).

INSERT OR REPLACE INTO span_kinds VALUES (12, 'send'), (13, 'receive'), (14, 'collective');

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
