#!/usr/bin/env python3
"""metrics_check.py TOOL CAPTURE: serve a replayed capture on /metrics and parse it strictly.

Starts `TOOL live --replay CAPTURE --speed 0 --listen 127.0.0.1:0 --linger 30`, reads the URL
from stderr, waits for the final numbers (collection_finished 1), fetches /metrics and parses
it with prometheus_client's OpenMetrics parser (Debian python3-prometheus-client), then checks
a few exact values of the synthetic rcvbuf capture."""
import re
import signal
import subprocess
import sys
import time
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families

tool, cap = sys.argv[1], sys.argv[2]
p = subprocess.Popen([tool, "live", "--replay", cap, "--speed", "0", "--listen",
                      "127.0.0.1:0", "--linger", "30", "--json"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    url = None
    for line in p.stderr:
        m = re.search(r"serving OpenMetrics on (http://\S+)", line)
        if m:
            url = m.group(1)
            break
    assert url, "no 'serving OpenMetrics on URL' line on stderr"
    body, ctype = "", ""
    deadline = time.time() + 20
    while time.time() < deadline:
        with urllib.request.urlopen(url, timeout=5) as r:
            ctype = r.headers["Content-Type"]
            body = r.read().decode()
        # the sample line, not the HELP text (which contains the same words)
        if re.search(r"^netstack_kmon_collection_finished 1$", body, re.M):
            break
        time.sleep(0.1)
    assert ctype.startswith("application/openmetrics-text"), ctype
    assert body.endswith("# EOF\n"), "not terminated by # EOF"
    fams = {f.name: f for f in text_string_to_metric_families(body)}  # strict: raises on errors

    def value(fam, sample, **labels):
        for s in fams[fam].samples:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise AssertionError(f"no {sample} {labels}")

    assert fams["netstack_kmon_stage_latency_seconds"].type == "histogram"
    assert fams["netstack_kmon_path_latency_seconds"].type == "histogram"
    assert value("netstack_kmon_path_latency_seconds", "netstack_kmon_path_latency_seconds_count",
                 path="rx") == 109
    assert value("netstack_kmon_socket_drops", "netstack_kmon_socket_drops_total",
                 local="127.0.0.1:9000", reason="SOCKET_RCVBUFF", comm="rx-app") == 16
    assert value("netstack_kmon_socket_kernel_drops", "netstack_kmon_socket_kernel_drops_total",
                 local="127.0.0.1:9000") == 16
    assert value("netstack_kmon_socket_rx_packets", "netstack_kmon_socket_rx_packets_total",
                 local="127.0.0.1:9001") == 25
    assert value("netstack_kmon_loss_records", "netstack_kmon_loss_records_total",
                 kind="netlink") == 0
    assert value("netstack_kmon_cpu_sent_records", "netstack_kmon_cpu_sent_records_total",
                 cpu="1") > 0
    assert value("netstack_kmon_snmp_delta", "netstack_kmon_snmp_delta",
                 counter="Udp6.NoPorts") == 10
    assert value("netstack_kmon_softnet_delta", "netstack_kmon_softnet_delta",
                 cpu="0", counter="processed") == 125
    print(f"ok: {len(fams)} metric families parse; exact values match")
finally:
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=10)
    assert rc == 0, f"exit {rc} after SIGTERM"
