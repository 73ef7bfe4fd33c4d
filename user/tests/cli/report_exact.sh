#!/bin/sh
# report_exact.sh TOOL CAPTURE EXPECTED_JSONL [real]: `report --json` prints exactly the JSON
# Lines the recording run printed (intervals, then the summary); `report` (text) exits 0 without
# a module; a cut copy exits 5 with its summary.  "real": a VM capture (skip the synthetic checks).
set -eu
tool=$1 cap=$2 expected=$3 kind=${4:-synthetic}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$tool" report --json "$cap" >"$out" 2>"$err"
if ! cmp -s "$out" "$expected"; then
	echo "report --json differs from what the run printed:" >&2
	diff "$expected" "$out" | head -20 >&2
	exit 1
fi
[ ! -s "$err" ] || { echo "unexpected stderr:" >&2; cat "$err" >&2; exit 1; }
"$tool" report "$cap" >"$out"
grep -q '^netstack-kmon summary: ' "$out"
[ "$kind" = real ] || grep -q 'SOCKET_RCVBUFF' "$out"
# A cut copy: exit 5, the summary still printed, one sentence on stderr.
head -c "$(($(stat -c %s "$cap") * 2 / 3))" "$cap" >"$out.cut"
rc=0
"$tool" report "$out.cut" >"$out" 2>"$err" || rc=$?
rm -f "$out.cut"
[ "$rc" = 5 ] || { echo "truncated capture: exit $rc, expected 5" >&2; exit 1; }
grep -q '^netstack-kmon summary: ' "$out" || { echo "no summary for a truncated capture" >&2; exit 1; }
[ "$(wc -l <"$err")" = 1 ] && grep -q 'is truncated' "$err" ||
	{ echo "stderr should be one sentence saying truncated:" >&2; cat "$err" >&2; exit 1; }
echo "ok: report reproduces the run; a truncated copy exits 5 with its summary"
