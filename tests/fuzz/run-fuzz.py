#!/usr/bin/env python3
"""Run one libFuzzer target for a bounded time and report it as one TAP test.

    run-fuzz.py NAME FUZZER [--seeds SEEDS_PROGRAM] [--corpus DIR]... [--artifacts DIR]
                [--seconds N] [--keep-corpus DIR] [--lsan-suppressions FILE]
                [-- LIBFUZZER_FLAGS...]

The corpus starts from copies of the committed folders (seeds and regressions)
plus whatever SEEDS_PROGRAM writes, in a temporary folder: the source tree is
never written to. Any crash, leak, undefined behaviour, broken invariant,
time-out (an input that takes more than 20 s) or allocation past 2 GB fails
the test; the input is kept in the artifacts folder and the end of libFuzzer's
log is printed. PLAB_FUZZ_SECONDS overrides --seconds (default 30).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("fuzzer")
    ap.add_argument("--seeds")
    ap.add_argument("--corpus", action="append", default=[])
    ap.add_argument("--artifacts")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--keep-corpus")
    ap.add_argument("--lsan-suppressions")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()

    seconds = int(os.environ.get("PLAB_FUZZ_SECONDS", args.seconds))
    print("1..1", flush=True)

    # The stores written per input live in memory where there is a tmpfs: the
    # store syncs its files, and a disk would make that most of the cost.
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    tmp = tempfile.mkdtemp(prefix="plab-fuzz-run-", dir=shm)
    try:
        corpus = os.path.join(tmp, "corpus")
        work = os.path.join(tmp, "work")
        os.makedirs(corpus)
        os.makedirs(work)
        n_seeds = 0
        for d in args.corpus:
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                src = os.path.join(d, name)
                if os.path.isfile(src) and not name.startswith(".") and name != "README":
                    shutil.copy(src, os.path.join(corpus, os.path.basename(d) + "-" + name))
                    n_seeds += 1
        if args.seeds:
            subprocess.run([args.seeds, corpus], check=True)
            n_seeds = len(os.listdir(corpus))

        artifacts = args.artifacts or os.path.join(tmp, "artifacts")
        os.makedirs(artifacts, exist_ok=True)
        env = dict(os.environ)
        env["TMPDIR"] = work
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:allocator_may_return_null=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if args.lsan_suppressions:
            # Leaks inside system libraries (fontconfig under cairo) are not ours.
            env.setdefault("LSAN_OPTIONS", "print_suppressions=0:suppressions="
                           + os.path.abspath(args.lsan_suppressions))
        cmd = [
            args.fuzzer,
            corpus,
            "-max_total_time=%d" % seconds,
            "-timeout=20",
            "-rss_limit_mb=2048",
            "-malloc_limit_mb=2048",
            "-close_fd_mask=3",
            "-print_final_stats=1",
            "-artifact_prefix=" + artifacts + "/",
        ] + args.extra
        print("# " + " ".join(cmd), flush=True)
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace")
        elapsed = time.monotonic() - t0
        log = proc.stdout

        if args.artifacts:
            with open(os.path.join(args.artifacts, args.name + ".log"), "w") as f:
                f.write(log)

        stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", log, re.M))
        cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
        corp = re.findall(r"corp: (\d+)/(\S+)", log)
        execs = int(stats.get("number_of_executed_units", 0))
        summary = "%s: %d inputs in %.0f s (%d/s), cov %s, ft %s, corpus %s (from %d seeds)" % (
            args.name, execs, elapsed, int(stats.get("average_exec_per_sec", 0)),
            cov[-1][0] if cov else "?", cov[-1][1] if cov else "?",
            "%s/%s" % corp[-1] if corp else "?", n_seeds)

        if args.keep_corpus:
            os.makedirs(args.keep_corpus, exist_ok=True)

            for name in os.listdir(corpus):
                shutil.copy(os.path.join(corpus, name), os.path.join(args.keep_corpus, name))

        if proc.returncode == 0 and execs > 0:
            print("ok 1 - " + summary)
            return 0
        print("not ok 1 - %s (libFuzzer exit %d)" % (summary, proc.returncode))
        for name in sorted(os.listdir(artifacts)):
            if not name.endswith(".log"):
                print("# input kept: " + os.path.join(artifacts, name))
        for line in log.splitlines()[-80:]:
            print("# " + line)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
