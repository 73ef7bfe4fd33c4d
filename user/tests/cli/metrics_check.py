#!/usr/bin/env python3
"""metrics_check.py TOOL CAPTURE [--promtool PROMTOOL]: serve a replayed capture on /metrics and
check both exposition formats.

Starts `TOOL live --replay CAPTURE --speed 0 --listen 127.0.0.1:0 --linger 30`, waits for the
final numbers (collection_finished 1), then:
 - with Prometheus's own Accept header: OpenMetrics, parsed by prometheus_client's strict
   OpenMetrics parser (Debian python3-prometheus-client), a few exact values of the synthetic
   rcvbuf capture;
 - with no Accept header (curl, promtool): the classic text format 0.0.4 (no # EOF, no info
   type), parsed by prometheus_client's text parser, with exactly the samples of the
   OpenMetrics body;
 - with --promtool: `promtool check metrics` on the text body: no error, no lint problem
   (a missing promtool fails, or skips loudly with NSK_ALLOW_NO_PROMETHEUS=1)."""
import argparse
import shutil
import subprocess

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as text_parse

import nsk_live

ap = argparse.ArgumentParser()
ap.add_argument("tool")
ap.add_argument("capture")
ap.add_argument("--promtool")
args = ap.parse_args()

if args.promtool and not shutil.which(args.promtool):
    nsk_live.missing("promtool", "Debian package prometheus; scripts/install-deps.sh")


def samples(fams):
    return sorted((s.name, tuple(sorted(s.labels.items())), s.value) for f in fams
                  for s in f.samples)


with nsk_live.Live(args.tool, args.capture, linger=30) as live:
    ctype, om = nsk_live.wait_finished(live.url, accept=nsk_live.PROMETHEUS_ACCEPT)
    assert ctype == nsk_live.OPENMETRICS_CONTENT_TYPE, ctype
    assert om.endswith("# EOF\n"), "not terminated by # EOF"
    om_fams = list(om_parse(om))  # strict: raises on errors
    fams = {f.name: f for f in om_fams}

    tctype, text = nsk_live.fetch(live.url)  # no Accept header
    assert tctype == nsk_live.TEXT_CONTENT_TYPE, tctype
    assert "# EOF" not in text and "# UNIT" not in text, "OpenMetrics-only lines in the text format"
    assert "# TYPE netstack_kmon_build_info gauge\n" in text
    text_fams = list(text_parse(text))
    assert samples(text_fams) == samples(om_fams), "the two formats carry different samples"

    if args.promtool:
        r = subprocess.run([args.promtool, "check", "metrics"], input=text, text=True,
                           capture_output=True)
        assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
            f"promtool check metrics: exit {r.returncode}\n{r.stdout}{r.stderr}"

    def value(fam, sample, **labels):
        for s in fams[fam].samples:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise AssertionError(f"no {sample} {labels}")

    assert fams["netstack_kmon_stage_latency_seconds"].type == "histogram"
    assert fams["netstack_kmon_path_latency_seconds"].type == "histogram"
    assert fams["netstack_kmon_build"].type == "info"
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
    print(f"ok: {len(fams)} OpenMetrics families parse strictly, exact values match; the text "
          f"format carries the same {len(samples(text_fams))} samples" +
          ("; promtool check metrics passes" if args.promtool else ""))
