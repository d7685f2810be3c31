"""An independent reader of a plab run store that writes a run's CSV and
Chrome trace exactly as `plab export RUN --format csv|trace` does
(ui/charts/plab-run-export.c, docs/store.md), straight from SQLite: the
export tests and benchmarks compare plab's output with it byte for byte.

    python3 plab_export_reference.py DB RUN csv|trace OUT
"""
import sqlite3
import sys

SPAN_KINDS = ["task", "lock wait", "queue wait", "gil wait", "sleep", "io", "spawn",
              "exit", "wait", "crash", "counter", "core wait"]
CRASH = 9
COUNTER = 10
RUN_STATUSES = ["running", "ok", "failed", "cancelled"]
LANE_KINDS = ["main", "process", "thread"]
# The sizes of PlabEvent's label and PlabLaneInfo's name, NUL included.
LABEL_MAX = 32
LANE_NAME_MAX = 32
SYNTHETIC_ID_BASE = 4000000
MAX_NESTING = 64
CSV_HEADER = b"record,run,lane,lane_name,pid,tid,kind,start_ns,end_ns,task_id,label,value"


def text(value, size=None):
    """A column as the C reader sees it: bytes up to the first NUL, cut to
    @size - 1 bytes (a C buffer of @size)."""
    if value is None:
        return b""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    elif not isinstance(value, bytes):
        value = str(value).encode()
    value = value.split(b"\0", 1)[0]
    return value[: size - 1] if size else value


def kind_name(kind):
    kind &= 0xFF  # PlabEvent.kind is a uint8_t
    return SPAN_KINDS[kind].encode() if kind < len(SPAN_KINDS) else b"unknown"


def csv_field(value):
    if not any(c in value for c in b',"\r\n'):
        return value
    return b'"' + value.replace(b'"', b'""') + b'"'


def utf8_length(s, i):
    """plab_utf8_sequence_length (): 0 for a byte that starts no valid
    sequence."""
    b0 = s[i]
    if b0 < 0x80:
        return 1
    if 0xC2 <= b0 <= 0xDF:
        n, cp = 2, b0 & 0x1F
    elif 0xE0 <= b0 <= 0xEF:
        n, cp = 3, b0 & 0x0F
    elif 0xF0 <= b0 <= 0xF4:
        n, cp = 4, b0 & 0x07
    else:
        return 0
    for k in range(1, n):
        if i + k >= len(s) or s[i + k] & 0xC0 != 0x80:
            return 0
        cp = (cp << 6) | (s[i + k] & 0x3F)
    if (n == 3 and cp < 0x800) or (n == 4 and (cp < 0x10000 or cp > 0x10FFFF)) \
            or 0xD800 <= cp <= 0xDFFF:
        return 0
    return n


SHORT_ESCAPES = {ord('"'): b'\\"', ord("\\"): b"\\\\", ord("\n"): b"\\n", ord("\t"): b"\\t",
                 ord("\r"): b"\\r"}


def json_string(s):
    out = [b'"']
    i = 0
    while i < len(s):
        n = utf8_length(s, i)
        if s[i] in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[s[i]])
        elif n == 0:
            out.append("\ufffd".encode())
        elif s[i] < 0x20:
            out.append(b"\\u%04x" % s[i])
        else:
            out.append(s[i:i + n])
        i += n or 1
    out.append(b'"')
    return b"".join(out)


def us(ns):
    magnitude = -ns if ns < 0 else ns
    return b"%s%d.%03d" % (b"-" if ns < 0 else b"", magnitude // 1000, magnitude % 1000)


class Run:
    def __init__(self, db, run_id):
        row = db.execute("SELECT demo, backend, workers, status, runner_pid, max_span_ns "
                         "FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise LookupError(f"there is no run {run_id}")
        self.id = run_id
        self.demo = text(row[0])
        self.backend = text(row[1])
        self.workers = row[2]
        status = text(row[3]).decode(errors="replace")
        self.status = status if status in RUN_STATUSES else "failed"
        self.runner_pid = row[4] or 0
        self.lanes = []
        for lane, kind, pid, tid, name in db.execute(
                "SELECT lane, kind, pid, tid, name FROM lanes WHERE run_id = ? ORDER BY lane",
                (run_id,)):
            kind = text(kind).decode(errors="replace")
            self.lanes.append({"lane": lane, "pid": pid, "tid": tid,
                               "name": text(name, LANE_NAME_MAX),
                               "kind": kind if kind in LANE_KINDS else "thread"})
        self.by_lane = {}
        for lane in self.lanes:
            self.by_lane.setdefault(lane["lane"], lane)
        lane_numbers = [lane["lane"] for lane in self.lanes]
        # The store reads a range [0, end of time]: spans that end before 0
        # are not in it, and the run's longest span bounds how early one in
        # it may start (plab_store_read_spans ()).
        max_span = row[5]
        self.spans = [
            {"lane": lane & 0xFFFF, "start": start, "end": end, "kind": kind & 0xFF,
             "label": text(label, LABEL_MAX), "task": task}
            for lane, start, end, kind, label, task in db.execute(
                "SELECT lane, start_ns, end_ns, kind, label, task_id FROM spans "
                "WHERE run_id = ? AND start_ns >= ? AND end_ns >= 0 "
                "ORDER BY lane, start_ns, seq", (run_id, -max_span))
            if lane in lane_numbers]
        self.counters = [
            {"lane": lane & 0xFFFF, "name": text(name, LABEL_MAX), "t": t, "value": value}
            for lane, name, t, value in db.execute(
                "SELECT lane, name, t_ns, value FROM counters WHERE run_id = ? "
                "ORDER BY name, t_ns, rowid", (run_id,))]


def csv_lane(run, lane_number):
    lane = run.by_lane.get(lane_number)
    out = b"%d," % lane_number + csv_field(lane["name"] if lane else b"")
    return out + (b",%d,%d," % (lane["pid"], lane["tid"]) if lane else b",,,")


def write_csv(run):
    out = [CSV_HEADER + b"\r\n"]
    for e in run.spans:
        out.append(b"span,%d," % run.id + csv_lane(run, e["lane"]) + csv_field(kind_name(e["kind"]))
                   + b",%d,%d,%d," % (e["start"], e["end"], e["task"]) + csv_field(e["label"])
                   + b",\r\n")
    for c in run.counters:
        out.append(b"counter,%d," % run.id + csv_lane(run, c["lane"])
                   + b"counter,%d,%d,," % (c["t"], c["t"]) + csv_field(c["name"])
                   + b",%d\r\n" % c["value"])
    return b"".join(out)


def lane_pid(lane):
    if lane and lane["pid"] > 0:
        return lane["pid"]
    return SYNTHETIC_ID_BASE + (lane["lane"] if lane else 0)


def lane_tid(lane):
    if lane and lane["tid"] > 0:
        return lane["tid"]
    return SYNTHETIC_ID_BASE + (lane["lane"] if lane else 0)


class Trace:
    def __init__(self, run):
        self.run = run
        self.events = []
        self.current_lane = -1
        self.last_start = 0
        self.open_ends = []

    def event(self, body):
        self.events.append(body)

    def metadata(self, what, lane, key_value=None):
        head = (b'{"ph":"M","cat":"__metadata","name":"%s","pid":%d,"tid":%d,"args":{'
                % (what, lane_pid(lane), lane_tid(lane)))
        if key_value is not None:
            return head + b'"sort_index":%d}}' % key_value
        return head

    def lane_names(self):
        lanes = self.run.lanes
        for i, lane in enumerate(lanes):
            if not any(lane_pid(lanes[j]) == lane_pid(lane) for j in range(i)):
                if lane["kind"] == "process":
                    name = lane["name"]
                else:
                    name = (b"plab " + self.run.demo + b" (runner)")[:255]
                self.event(self.metadata(b"process_name", lane) + b'"name":' + json_string(name)
                           + b"}}")
                self.event(self.metadata(b"process_sort_index", lane, lane["lane"]))
            self.event(self.metadata(b"thread_name", lane) + b'"name":' + json_string(lane["name"])
                       + b"}}")
            self.event(self.metadata(b"thread_sort_index", lane, lane["lane"]))

    def repair(self, e):
        if e["kind"] in (CRASH, COUNTER):
            return
        if e["end"] < e["start"]:
            e["end"] = e["start"]
        while self.open_ends and self.open_ends[-1] <= e["start"]:
            self.open_ends.pop()
        if self.open_ends and e["end"] > self.open_ends[-1]:
            e["end"] = self.open_ends[-1]
        if len(self.open_ends) < MAX_NESTING:
            self.open_ends.append(e["end"])

    @staticmethod
    def args(e):
        out = b',"args":{'
        if e["task"] >= 0:
            out += b'"task":%d' % e["task"]
        if e["label"]:
            out += (b',"label":' if e["task"] >= 0 else b'"label":') + json_string(e["label"])
        return out + b"}"

    def span(self, e):
        lane = self.run.by_lane.get(e["lane"])
        name = e["label"] or kind_name(e["kind"])
        where = b',"pid":%d,"tid":%d,"ts":' % (lane_pid(lane), lane_tid(lane)) + us(e["start"])
        if e["kind"] == CRASH:
            self.event(b'{"ph":"i","s":"p","cat":"crash","name":' + json_string(name) + where
                       + self.args(e) + b"}")
            return
        duration = max(e["end"] - e["start"], 0)
        self.event(b'{"ph":"X","cat":' + json_string(kind_name(e["kind"])) + b',"name":'
                   + json_string(name) + where + b',"dur":%d.%03d' % (duration // 1000,
                                                                      duration % 1000)
                   + self.args(e) + b"}")

    def group(self, group):
        if not group:
            return
        if group[0]["lane"] != self.current_lane or group[0]["start"] < self.last_start:
            self.current_lane = group[0]["lane"]
            self.open_ends = []
        self.last_start = group[0]["start"]
        # The longer span first; equal ones in the store's order (a stable sort).
        for e in sorted(group, key=lambda e: -e["end"]):
            self.repair(e)
            self.span(e)

    def write(self):
        run = self.run
        head = (b'{"displayTimeUnit":"ms","otherData":{"demo":' + json_string(run.demo)
                + b',"backend":' + json_string(run.backend)
                + b',"workers":%d,"run":%d,"status":"%s"},\n"traceEvents":[\n'
                % (run.workers, run.id, run.status.encode()))
        self.lane_names()
        group = []
        for e in run.spans:
            e = dict(e)
            if group and (e["lane"] != group[0]["lane"] or e["start"] != group[0]["start"]):
                self.group(group)
                group = []
            group.append(e)
        self.group(group)
        runner = run.runner_pid if run.runner_pid > 0 else lane_pid(run.by_lane.get(0))
        for c in run.counters:
            self.event(b'{"ph":"C","cat":"counter","name":' + json_string(c["name"])
                       + b',"pid":%d,"ts":' % runner + us(c["t"])
                       + b',"args":{"value":%d}}' % c["value"])
        return head + b",\n".join(self.events) + b"\n]}\n"


def export(db_path, run_id, fmt):
    """The bytes `plab export RUN --format FMT` writes for run @run_id."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.text_factory = bytes
    try:
        run = Run(db, run_id)
    finally:
        db.close()
    return write_csv(run) if fmt == "csv" else Trace(run).write()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[3] not in ("csv", "trace"):
        sys.exit("usage: plab_export_reference.py DB RUN csv|trace OUT")
    data = export(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    with open(sys.argv[4], "wb") as f:
        f.write(data)
