-- Parallel Lab run store: schema version 3 to 4.
-- Runs get the machine's load around them (see plab-machine-load.h): the
-- load average before the run, and the shares of the CPUs that other
-- programs and a hypervisor took during it. Runs recorded before were not
-- measured and keep NULL in all five.

ALTER TABLE runs ADD COLUMN load_avg_1m REAL;
ALTER TABLE runs ADD COLUMN load_cpus INTEGER;
ALTER TABLE runs ADD COLUMN load_others_share REAL;
ALTER TABLE runs ADD COLUMN load_steal_share REAL;
ALTER TABLE runs ADD COLUMN load_window_ns INTEGER;
