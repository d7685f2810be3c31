#!/usr/bin/env python3
"""Run the core benchmark's workloads with Python's multiprocessing and print
them next to plab's figures (and the raw POSIX ones) with the ratios.

    python3 tests/bench/python_compare.py [BENCH_CORE] [--json]

BENCH_CORE is the benchmark program (default: build/tests/bench/bench-core); it is
run with --json in the same invocation, so both sides are measured on the
same machine minutes apart. Stock python3, standard library only.

Every Python workload uses the 'fork' start method (what plab does, and the
fastest one on Linux) and the same sizes as bench-core, except where a
workload would take more than about 30 s: then it is scaled down, and the
table says so. A benchmark, not a test: it prints, it asserts nothing.
"""

import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time

CTX = mp.get_context("fork")
WORKERS = 2
POOL_ITEMS = 100_000
BUDGET_S = 30.0


def square(x):
    return x * x


def nothing():
    pass


def median_of(rounds, fn):
    return statistics.median(fn() for _ in range(rounds))


# --- Workloads: each returns (figure in plab's unit, note) ---


def process_start():
    n, rounds = 50, 5

    def one_round():
        t0 = time.perf_counter()
        for _ in range(n):
            p = CTX.Process(target=nothing)
            p.start()
            p.join()
        return (time.perf_counter() - t0) / n * 1e6

    return median_of(rounds, one_round), f"median of {rounds} rounds of {n}"


def pool_map(chunksize):
    items = range(POOL_ITEMS)
    with CTX.Pool(WORKERS) as pool:
        pool.map(square, range(1000), chunksize=chunksize or None)  # warm up

        def one_map():
            t0 = time.perf_counter()
            out = pool.map(square, items, chunksize=chunksize or None)
            s = time.perf_counter() - t0
            assert out[-1] == (POOL_ITEMS - 1) ** 2
            return s

        first = one_map()
        # Repeat only while it stays well inside the time budget.
        rounds = max(1, min(5, int(BUDGET_S / 3 / first)))
        times = [first] + [one_map() for _ in range(rounds - 1)]
    rate = POOL_ITEMS / statistics.median(times) / 1e6
    how = "chunksize=1" if chunksize else "default chunksize"
    return rate, f"Pool({WORKERS}).map, {how}, median of {len(times)}"


def _queue_consumer(q, n, size, result):
    ok = True
    for _ in range(n):
        if len(q.get()) != size:
            ok = False
    result.value = 1 if ok else 0


def _queue_producer(q, n, msg):
    for _ in range(n):
        q.put(msg)


def _queue_once(n, size):
    q = CTX.Queue()
    result = CTX.Value("i", 0, lock=False)
    msg = b"x" * size
    t0 = time.perf_counter()
    consumer = CTX.Process(target=_queue_consumer, args=(q, n, size, result))
    producer = CTX.Process(target=_queue_producer, args=(q, n, msg))
    consumer.start()
    producer.start()
    producer.join()
    consumer.join()
    s = time.perf_counter() - t0
    assert result.value == 1, "the consumer saw a wrong message"
    return s


def queue(n, size):
    """Returns (M msgs/s or GB/s, note), scaling n down to fit the budget."""
    trial_n = max(1, n // 50)
    trial = _queue_once(trial_n, size)
    predicted = trial * n / trial_n
    note = ""
    if predicted > BUDGET_S:
        scaled = max(trial_n, int(n * BUDGET_S / predicted))
        note = f"scaled down to {scaled} messages (the full {n} would take ~{predicted:.0f} s)"
        n = scaled
    s = _queue_once(n, size)
    if size <= 64:
        fig = n / s / 1e6
    else:
        fig = n * size / s / 1e9
    return fig, note or f"{n} messages, one run"


def _echo(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def pipe_round_trip():
    """Both processes on one CPU, as bench-core measures it (see there why)."""
    n, rounds = 20_000, 3
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved)})
    try:
        return _pipe_round_trip(n, rounds)
    finally:
        os.sched_setaffinity(0, saved)


def _pipe_round_trip(n, rounds):
    def one_round():
        a, b = CTX.Pipe()
        child = CTX.Process(target=_echo, args=(b, n))
        child.start()
        b.close()
        msg = b"12345678"
        t0 = time.perf_counter()
        for _ in range(n):
            a.send_bytes(msg)
            a.recv_bytes()
        s = time.perf_counter() - t0
        child.join()
        a.close()
        return s / n * 1e6

    return median_of(rounds, one_round), (f"send_bytes/recv_bytes, both on one CPU, "
                                          f"median of {rounds} rounds of {n}")


def _count(lock, value, n):
    for _ in range(n):
        with lock:
            value.value += 1


def _lock_counter_once(n):
    lock = CTX.Lock()
    value = CTX.Value("q", 0, lock=False)
    t0 = time.perf_counter()
    procs = [CTX.Process(target=_count, args=(lock, value, n)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    s = time.perf_counter() - t0
    assert value.value == 2 * n, "lost updates under the lock"
    return s


def lock_counter():
    """ms for 2 x 1,000,000 increments (measured scaled down if too slow)."""
    n = 1_000_000
    trial_n = 20_000
    predicted = _lock_counter_once(trial_n) * n / trial_n
    if predicted > BUDGET_S:
        scaled = int(n * BUDGET_S / predicted)
        s = _lock_counter_once(scaled) * n / scaled
        return s * 1e3, f"measured with {scaled} per process, scaled to {n}"
    return _lock_counter_once(n) * 1e3, "Lock + Value(lock=False), one run"


def futures():
    import concurrent.futures
    n = 20_000
    with concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=CTX) as ex:
        ex.submit(square, 1).result()  # warm up

        def one_round():
            t0 = time.perf_counter()
            fs = [ex.submit(square, i) for i in range(n)]
            out = [f.result() for f in fs]
            assert out[-1] == (n - 1) ** 2
            return time.perf_counter() - t0

        times = [one_round() for _ in range(3)]
    return n / statistics.median(times) / 1e3, f"ProcessPoolExecutor({WORKERS}) submit + result, median of 3"


def imap():
    n = 100_000
    with CTX.Pool(WORKERS) as pool:
        list(pool.imap(square, range(1000)))  # warm up

        def one_round():
            t0 = time.perf_counter()
            out = list(pool.imap(square, range(n)))
            assert out[-1] == (n - 1) ** 2
            return time.perf_counter() - t0

        times = [one_round() for _ in range(3)]
    return n / statistics.median(times) / 1e3, f"Pool({WORKERS}).imap, chunksize=1, median of 3"


# id in bench-core's JSON -> (Python workload, target: plab at least this many
# times faster than Python, or None when the issue gives only a reference)
WORKLOADS = [
    ("process_start", process_start, None),
    ("pool_map_chunk1", lambda: pool_map(1), 50),
    ("pool_map_auto", lambda: pool_map(0), 20),
    ("futures", futures, None),
    ("imap", imap, None),
    ("queue_small", lambda: queue(1_000_000, 8), None),
    ("queue_large", lambda: queue(10_000, 64 * 1024), None),
    ("pipe_round_trip", pipe_round_trip, None),
    ("lock_counter", lock_counter, None),
]


def fmt(v, unit=""):
    if v is None:
        return "-"
    digits = 1 if abs(v) >= 100 else 2 if abs(v) >= 10 else 3
    return f"{v:.{digits}f} {unit}".strip()


def speedup(fig, python):
    """How many times faster plab is than Python on this figure."""
    if fig.get("plab") is None or python is None or python <= 0 or fig["plab"] <= 0:
        return None
    if fig["higher_is_better"]:
        return fig["plab"] / python
    return python / fig["plab"]


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    want_json = "--json" in sys.argv[1:]
    bench = args[0] if args else os.path.join("build", "tests", "bench", "bench-core")
    if not os.access(bench, os.X_OK):
        sys.exit(f"python_compare.py: no benchmark program at {bench} (build it, or pass its path)")

    print(f"running {bench} --json ...", file=sys.stderr)
    proc = subprocess.run([bench, "--json"], capture_output=True, text=True)
    if proc.returncode != 0 and not proc.stdout.strip():
        sys.exit(f"python_compare.py: {bench} failed: {proc.stderr.strip()}")
    plab = json.loads(proc.stdout)
    figures = {f["id"]: f for f in plab["figures"]}

    rows = []
    for fid, fn, target in WORKLOADS:
        fig = figures.get(fid)
        if fig is None:
            continue
        print(f"python: {fid} ...", file=sys.stderr)
        t0 = time.perf_counter()
        value, note = fn()
        print(f"python: {fid} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        rows.append((fig, value, note, target))

    if want_json:
        out = []
        for fig, value, note, target in rows:
            s = speedup(fig, value)
            out.append({"id": fig["id"], "unit": fig["unit"], "python": value, "plab": fig["plab"],
                        "raw": fig["raw"], "plab_vs_python": s, "target_vs_python": target,
                        "met": None if target is None or s is None else s >= target,
                        "python_note": note})
        json.dump({"machine": plab["machine"], "python": sys.version.split()[0],
                   "rows": out}, sys.stdout, indent=1)
        print()
        return

    m = plab["machine"]
    print(f"machine: {m.get('cpu') or 'unknown CPU'}, {m.get('usable_cpus')} usable CPUs, "
          f"{m.get('os', '')}; Python {sys.version.split()[0]} (multiprocessing, fork); "
          f"plab {m.get('version', '')}")
    head = (f"{'workload':<50} {'python':>16} {'plab':>16} {'raw':>16} "
            f"{'plab vs py':>10} {'py vs raw':>10} {'target':>8}  met")
    print(head)
    for fig, value, note, target in rows:
        s = speedup(fig, value)
        raw_fig = {"plab": fig["raw"], "higher_is_better": fig["higher_is_better"]}
        py_vs_raw = speedup(raw_fig, value)
        met = "-" if target is None or s is None else ("yes" if s >= target else "no")
        print(f"{fig['name']:<50} {fmt(value, fig['unit']):>16} {fmt(fig['plab'], fig['unit']):>16} "
              f"{fmt(fig['raw'], fig['unit']):>16} "
              f"{(f'{s:.1f}x' if s else '-'):>10} {(f'{py_vs_raw:.1f}x' if py_vs_raw else '-'):>10} "
              f"{(f'>= {target}x' if target else '-'):>8}  {met}")
    print()
    print("plab vs py: how many times faster plab is than Python; py vs raw: how many times")
    print("slower Python is than the raw POSIX code (both from the same bench-core run).")
    for fig, value, note, target in rows:
        print(f"  {fig['id']}: python: {note}")
    others = [f for f in plab["figures"] if f["id"] not in {r[0]["id"] for r in rows}]
    if others:
        print("\nplab only (no Python equivalent):")
        for f in others:
            print(f"  {f['name']:<50} plab {fmt(f['plab'], f['unit'])}, raw {fmt(f['raw'], f['unit'])}, "
                  f"target {f['target']}, met {('-' if f['met'] is None else 'yes' if f['met'] else 'no')}")


if __name__ == "__main__":
    main()
