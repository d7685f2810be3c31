-- Parallel Lab run store: schema version 5 to 6.
-- Calibrations: what a machine measured once and every run on it reuses.
-- "spin_rate" is how many rounds of the demos' CPU loop one CPU second
-- holds, so that "80 ms of CPU work" is the same work on every run, however
-- busy the machine is (a busy machine makes it take longer, not smaller).

CREATE TABLE calibrations (
  machine_id      INTEGER NOT NULL REFERENCES machines (id),
  name            TEXT NOT NULL,
  value           REAL NOT NULL CHECK (value > 0),
  cpu_ns          INTEGER NOT NULL,
  wall_ns         INTEGER NOT NULL,
  measured_at_us  INTEGER NOT NULL,
  PRIMARY KEY (machine_id, name)
);
