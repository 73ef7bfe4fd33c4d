#!/usr/bin/env python3
"""prometheus_check.py TOOL CAPTURE [--prometheus PROG] [--rules FILE]: a real Prometheus server
scrapes `live --listen` and its PromQL answers agree with `report --json CAPTURE`.

1. `TOOL report --json CAPTURE`: the summary line is the reference.
2. `TOOL live --replay CAPTURE --speed 0 --listen 127.0.0.1:0 --linger 300` serves the same
   numbers (the replay ends at once; --linger keeps the final numbers served until we stop it).
3. `prometheus` (Debian's package) with a generated config: scrape_interval 1s, storage in a
   temporary directory, --web.listen-address on a free loopback port, and the shipped rules.
4. Waits (at most 60 s) until the target is up and the final numbers are stored
   (netstack_kmon_collection_finished == 1), then checks over /api/v1/query:
   - sum by (reason) (netstack_kmon_drops_total)        == report drops per reason
   - sum by (reason) (netstack_kmon_socket_drops_total) == report sockets' drops per reason
   - per socket drops and rx packets                    == report sockets
   - every exported bucket of path_latency_seconds      == the report's histogram, cumulated
   - histogram_quantile(q, ...) for q in .5 .9 .99 .999, per path (rx, queue, tx, end_to_end)
     and per stage, lies in the bucket that holds the report's percentile (see in_bucket)
   - Prometheus negotiated OpenMetrics (its metadata has the `info` type, which the text format
     lacks), and every shipped rule evaluates with health "ok", the recorded series carrying the
     sockets and reasons of the report.
Everything started is stopped on exit (and dies with this script: PR_SET_PDEATHSIG).
A missing prometheus fails the test, unless NSK_ALLOW_NO_PROMETHEUS=1 (then: exit 77, SKIP, loud).
"""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import nsk_live

ap = argparse.ArgumentParser()
ap.add_argument("tool")
ap.add_argument("capture")
ap.add_argument("--prometheus", default="prometheus")
ap.add_argument("--rules", help="rule file to load (contrib/prometheus/netstack-kmon.rules.yml)")
args = ap.parse_args()

prometheus = shutil.which(args.prometheus)
if not prometheus:
    nsk_live.missing("prometheus (the server)", "Debian package prometheus; scripts/install-deps.sh")

# SIGTERM (CTest timeout) unwinds through the finally blocks below.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("killed (SIGTERM)"))

# --- the reference: report --json ----------------------------------------------------------------
rep = subprocess.run([args.tool, "report", "--json", args.capture], capture_output=True, text=True)
assert rep.returncode == 0, f"report: exit {rep.returncode}: {rep.stderr}"
summary = json.loads(rep.stdout.strip().splitlines()[-1])
assert summary["type"] == "summary"

JOB = 'job="netstack-kmon"'
failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def le_text(ns):
    """The exported le label for integer ns values <= ns: exact decimal seconds, as metrics.cpp
    writes it ("0.000001023", "0", "2")."""
    return f"{ns // 10**9}.{ns % 10**9:09d}".rstrip("0").rstrip(".")


def le_seconds(ns):
    return float(le_text(ns))


def report_bucket(hist, count, q):
    """(lo, hi) ns of the log2 bucket holding the q-quantile of a report histogram
    ([[lo, hi, n], ...]), by the report's own rule: nearest rank ceil(q * count), clamped to
    [1, count].  Prometheus picks the same bucket: the first whose cumulative count >= q * count
    (counts are integers, so >= q*count and >= ceil(q*count) agree)."""
    rank = min(max(math.ceil(q * count), 1), count)
    cum = 0
    for lo, hi, n in hist:
        cum += n
        if cum >= rank:
            return lo, hi
    raise AssertionError("rank beyond the histogram")


def in_bucket(prom_s, report_ns, lo, hi):
    """The tolerance, from the bucket bounds.  The report interpolates inside [lo, hi] ns
    (clamped to the min/max seen); the exported buckets are le = (lo - 1) ns and le = (hi - 1) ns
    (integer ns v < hi is v <= hi - 1), and histogram_quantile interpolates between those two.
    So both lie in the same bucket and differ by at most hi - lo ns (+1 ns of the le encoding);
    a relative 1e-9 absorbs float rounding of the interpolation."""
    lo_s, hi_s = le_seconds(max(lo, 1) - 1), le_seconds(hi - 1)
    eps = 1e-9 * hi_s
    return lo <= report_ns <= hi and lo_s - eps <= prom_s <= hi_s + eps, (lo_s, hi_s)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


tmp = tempfile.mkdtemp(prefix="nsk-prometheus-")
ok = False
try:
    with nsk_live.Live(args.tool, args.capture, linger=300) as live:
        target = urllib.parse.urlparse(live.url).netloc
        cfg = {  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                       "scrape_timeout": "1s"},
            "rule_files": [os.path.abspath(args.rules)] if args.rules else [],
            "scrape_configs": [{"job_name": "netstack-kmon", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [target]}]}],
        }
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            json.dump(cfg, f, indent=1)
        port = free_port()
        api = f"http://127.0.0.1:{port}/api/v1/"
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen(
            [prometheus, f"--config.file={tmp}/prometheus.yml",
             f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=nsk_live.die_with_parent)
        print(f"prometheus {prometheus} on 127.0.0.1:{port} scraping {live.url} "
              f"({args.capture}), every 1 s")
        try:
            def get(path, **params):
                url = api + path + ("?" + urllib.parse.urlencode(params) if params else "")
                with urllib.request.urlopen(url, timeout=5) as r:
                    body = json.load(r)
                assert body["status"] == "success", body
                return body["data"]

            def query(q):
                return get("query", query=q)["result"]

            def value_by(q, label, show=True):
                res = query(q)
                if show:
                    print(f"      {q}\n        -> " + ", ".join(
                        f"{r['metric'].get(label, '')}={r['value'][1]}" for r in res))
                return {r["metric"].get(label, ""): float(r["value"][1]) for r in res}

            # --- wait for scrapes of the final numbers (bounded) ------------------------------
            deadline = time.time() + 60
            while True:
                assert prom.poll() is None, f"prometheus exited with {prom.returncode}"
                try:
                    up = query(f"up{{{JOB}}}")
                    fin = query(f"netstack_kmon_collection_finished{{{JOB}}} == 1")
                    if up and up[0]["value"][1] == "1" and fin:
                        break
                except OSError:
                    pass  # not listening yet
                assert time.time() < deadline, "no scrape of the final numbers within 60 s"
                time.sleep(0.5)
            print(f"ok:   target up, final numbers scraped after "
                  f"{60 - (deadline - time.time()):.1f} s")

            # --- drops ------------------------------------------------------------------------
            want = {}
            for d in summary["drops"]:
                want[d["reason"]] = want.get(d["reason"], 0) + d["count"]
            assert want, "the capture has no drops: nothing to compare"
            got = value_by(f"sum by (reason) (netstack_kmon_drops_total{{{JOB}}})", "reason")
            check(got == want, f"drops per reason: prometheus {got} == report {want}")

            want = {}
            for s in summary["sockets"]:
                for reason, n in s["drops"].items():
                    want[reason] = want.get(reason, 0) + n
            got = value_by(f"sum by (reason) (netstack_kmon_socket_drops_total{{{JOB}}})",
                           "reason")
            check(got == want, f"socket drops per reason: prometheus {got} == report {want}")

            want = {s["local"]: s["drops_total"] for s in summary["sockets"] if s["drops_total"]}
            got = value_by(f"sum by (local) (netstack_kmon_socket_drops_total{{{JOB}}})", "local")
            check(got == want, f"drops per socket: prometheus {got} == report {want}")
            want = {}
            for s in summary["sockets"]:
                want[s["local"]] = want.get(s["local"], 0) + s["rx_packets"]
            got = value_by(f"sum by (local) (netstack_kmon_socket_rx_packets_total{{{JOB}}})",
                           "local")
            check(got == want, f"rx packets per socket: prometheus {got} == report {want}")

            # --- latency: buckets and quantiles -----------------------------------------------
            quantiles = [(0.5, "p50_ns"), (0.9, "p90_ns"), (0.99, "p99_ns"), (0.999, "p999_ns")]

            def check_quantiles(what, selector, by, lat):
                if not lat["count"]:
                    return
                for q, key in quantiles:
                    expr = (f"histogram_quantile({q}, sum by ({', '.join(by + ['le'])}) "
                            f"({selector}))")
                    res = query(expr)
                    assert len(res) == 1, f"{expr}: {res}"
                    prom_s = float(res[0]["value"][1])
                    lo, hi = report_bucket(lat["hist"], lat["count"], q)
                    good, (lo_s, hi_s) = in_bucket(prom_s, lat[key], lo, hi)
                    check(good, f"{what} {key}: {expr} = {prom_s:.9f} s; report "
                                f"{lat[key]} ns; bucket [{lo}, {hi}] ns, le {lo_s:.9f}..{hi_s:.9f}")

            for path, lat in summary["totals"].items():
                sel = f'netstack_kmon_path_latency_seconds_bucket{{{JOB},path="{path}"}}'
                got = value_by(sel, "le", show=False)
                cum, want = 0, {"+Inf": float(lat["count"])}
                for lo, hi, n in lat["hist"]:
                    cum += n
                    want[le_text(hi - 1)] = float(cum)
                exported = {le: v for le, v in got.items() if le in want}
                check(exported == want and max(got.values(), default=0) == lat["count"],
                      f"path {path}: exported buckets at the report's bucket bounds {exported} "
                      f"== report histogram cumulated {want}")
                check_quantiles(f"path {path}", sel, [], lat)

            keys = [(s["path"], s["from"], s["to"]) for s in summary["stages"]]
            assert len(keys) == len(set(keys)), "report stages repeat a (path, from, to)"
            for s in summary["stages"]:
                sel = (f'netstack_kmon_stage_latency_seconds_bucket{{{JOB},path="{s["path"]}",'
                       f'from="{s["from"]}",to="{s["to"]}"}}')
                check_quantiles(f"stage {s['from']} -> {s['to']}", sel, ["path", "from", "to"], s)

            # --- Prometheus got OpenMetrics (only that format has the info type) ----------------
            meta = get("targets/metadata", match_target=f"{{{JOB}}}",
                       metric="netstack_kmon_build")
            types = {m["type"] for m in meta}
            check(types == {"info"}, f"Prometheus's own Accept header negotiated OpenMetrics: "
                                     f"netstack_kmon_build has type {types}")

            # --- the shipped rules --------------------------------------------------------------
            if args.rules:
                deadline = time.time() + 30
                while True:
                    rules = [r for g in get("rules")["groups"] for r in g["rules"]]
                    recorded = query('{__name__="socket:netstack_kmon_socket_drops:rate5m"}')
                    if (rules and all(r.get("lastEvaluation", "").startswith("20") and
                                      r["health"] != "unknown" for r in rules) and recorded):
                        break
                    assert time.time() < deadline, "rules not evaluated within 30 s"
                    time.sleep(0.5)
                bad = [f"{r['name']}: {r['health']} {r.get('lastError', '')}" for r in rules
                       if r["health"] != "ok"]
                check(not bad, f"{len(rules)} rules of {args.rules} evaluate with health ok"
                               + (f": {bad}" if bad else ""))
                got = {r["metric"].get("local") for r in recorded}
                want = {s["local"] for s in summary["sockets"] if s["drops_total"]}
                check(got == want, f"socket:netstack_kmon_socket_drops:rate5m has the sockets "
                                   f"that drop: {got} == {want}")
                got = set(value_by(f"instance_reason:netstack_kmon_drops:rate5m{{{JOB}}}",
                                   "reason"))
                want = {d["reason"] for d in summary["drops"]}
                check(got == want, f"instance_reason:netstack_kmon_drops:rate5m has the report's "
                                   f"reasons: {got} == {want}")
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=15)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
            log.close()
    ok = not failures
finally:
    if not ok:
        with open(os.path.join(tmp, "prometheus.log")) if os.path.exists(
                os.path.join(tmp, "prometheus.log")) else open(os.devnull) as f:
            tail = f.read()[-4000:]
        if tail:
            print("--- prometheus log (tail) ---\n" + tail, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("ok: a real Prometheus agrees with the report")
