"""Helpers for the /metrics tests: serve a replayed capture with `live --listen`, fetch, skip.

Used by metrics_check.py and prometheus_check.py (run by Debian's /usr/bin/python3, which sees
python3-prometheus-client)."""
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: SIGTERM the child when this test script dies (CTest timeout, kill -9), so no
    server outlives the test."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

# What Prometheus 2.x sends when it scrapes (scrape/scrape.go acceptHeader).
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
SKIP = 77  # CTest SKIP_RETURN_CODE
ALLOW_SKIP_ENV = "NSK_ALLOW_NO_PROMETHEUS"


def missing(what, install_hint):
    """A required Prometheus program is absent: fail, or skip loudly if the user allowed it."""
    bar = "!" * 78
    if os.environ.get(ALLOW_SKIP_ENV) == "1":
        print(f"{bar}\nSKIP: {what} is not installed ({install_hint}); this test did NOT run.\n"
              f"      {ALLOW_SKIP_ENV}=1 allowed the skip.\n{bar}", file=sys.stderr)
        sys.exit(SKIP)
    print(f"{bar}\nFAIL: {what} is not installed ({install_hint}).\n"
          f"      Set {ALLOW_SKIP_ENV}=1 only where the package cannot be installed.\n{bar}",
          file=sys.stderr)
    sys.exit(1)


class Live:
    """`TOOL live --replay CAP --speed 0 --listen 127.0.0.1:0 --linger LINGER` in the
    background; .url is the /metrics URL it printed.  Use as a context manager: SIGTERM on exit,
    which must end it with status 0."""

    def __init__(self, tool, cap, linger=300):
        self.p = subprocess.Popen(
            [tool, "live", "--replay", cap, "--speed", "0", "--listen", "127.0.0.1:0",
             "--linger", str(linger), "--json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=die_with_parent)
        self.stderr = []
        found = threading.Event()

        def drain():  # keep reading so the pipe never fills
            for line in self.p.stderr:
                self.stderr.append(line)
                if re.search(r"serving .+ on http://", line):
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        found.wait(timeout=30)
        urls = [m.group(1) for line in self.stderr
                for m in [re.search(r"serving .+ on (http://\S+)", line)] if m]
        if not urls:
            self.stop()
            raise AssertionError("no 'serving ... on URL' line on stderr: " + "".join(self.stderr))
        self.url = urls[0]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                return self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                raise AssertionError("live did not end within 10 s of SIGTERM")
        return self.p.returncode

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        rc = self.stop()
        if exc_type is None:
            assert rc == 0, f"live: exit {rc} after SIGTERM: {''.join(self.stderr)}"


def fetch(url, accept=None):
    """(Content-Type, body) of GET url; no Accept header unless given."""
    req = urllib.request.Request(url)
    if accept is not None:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.headers["Content-Type"], r.read().decode()


def wait_finished(url, accept=None, timeout=20):
    """Fetch until the final numbers are served (collection_finished 1)."""
    deadline = time.time() + timeout
    while True:
        ctype, body = fetch(url, accept)
        # the sample line, not the HELP text (which contains the same words)
        if re.search(r"^netstack_kmon_collection_finished 1$", body, re.M):
            return ctype, body
        if time.time() > deadline:
            raise AssertionError(f"collection_finished never became 1 within {timeout}s")
        time.sleep(0.1)
