#!/bin/sh
# run.sh FUZZER CORPUS WORKDIR SECONDS: a bounded libFuzzer run (CTest fuzz.*).
# Starts from the committed corpus (read only: new inputs go to WORKDIR/corpus), stops after
# SECONDS; any crash, leak, sanitizer report or timeout fails the test, and the input that
# caused it is kept in WORKDIR (its path is printed: reproduce with `FUZZER FILE`).
set -eu
fuzzer=$1 corpus=$2 work=$3 secs=$4
mkdir -p "$work/corpus"
echo "+ $fuzzer -max_total_time=$secs -timeout=10 -rss_limit_mb=2048 $work/corpus $corpus"
if "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" "$corpus"; then
	echo "fuzz: $(basename "$fuzzer"): no finding in $secs s"
	exit 0
fi
echo "FAIL: $(basename "$fuzzer") found a crash: $(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | tr '\n' ' ')"
exit 1
