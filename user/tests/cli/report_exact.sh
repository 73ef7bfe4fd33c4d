#!/bin/sh
# report_exact.sh TOOL CAPTURE EXPECTED_JSONL [real]: `report --json` prints exactly the JSON
# Lines the recording run printed (intervals, then the summary); `report` (text) exits 0 without
# a module; a cut copy exits 5 with its summary.  "real": a VM capture (skip the synthetic checks).
# A capture written before the log-linear histograms (its run printed no "histogram" key) must
# replay with the log2 precision it printed: the same lines plus the additive
# "histogram":"log2" on each, a note on stderr and in the text report.
set -eu
tool=$1 cap=$2 expected=$3 kind=${4:-synthetic}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err" "$out.cmp"' EXIT
note='predates the log-linear histograms'
old=0
grep -q '"histogram":' "$expected" || old=1
"$tool" report --json "$cap" >"$out" 2>"$err"
if [ $old = 1 ]; then
	[ "$(grep -c '"histogram":"log2"' "$out")" = "$(wc -l <"$out")" ] ||
		{ echo "an old capture's JSON lines should all say \"histogram\":\"log2\"" >&2; exit 1; }
	sed 's/,"histogram":"log2"//' "$out" >"$out.cmp"
	{ [ "$(wc -l <"$err")" = 1 ] && grep -q "$note" "$err"; } ||
		{ echo "stderr should be the one note about log2 percentiles:" >&2; cat "$err" >&2; exit 1; }
else
	cp "$out" "$out.cmp"
	[ ! -s "$err" ] || { echo "unexpected stderr:" >&2; cat "$err" >&2; exit 1; }
fi
if ! cmp -s "$out.cmp" "$expected"; then
	echo "report --json differs from what the run printed:" >&2
	diff "$expected" "$out.cmp" | head -20 >&2
	exit 1
fi
"$tool" report "$cap" >"$out" 2>/dev/null
grep -q '^netstack-kmon summary: ' "$out"
[ $old = 0 ] || grep -q "^note: this capture $note" "$out" ||
	{ echo "the text report of an old capture should say its percentiles are log2" >&2; exit 1; }
[ "$kind" = real ] || grep -q 'SOCKET_RCVBUFF' "$out"
# A cut copy: exit 5, the summary still printed, one sentence on stderr (besides the note).
head -c "$(($(stat -c %s "$cap") * 2 / 3))" "$cap" >"$out.cut"
rc=0
"$tool" report "$out.cut" >"$out" 2>"$err" || rc=$?
rm -f "$out.cut"
[ "$rc" = 5 ] || { echo "truncated capture: exit $rc, expected 5" >&2; exit 1; }
grep -q '^netstack-kmon summary: ' "$out" || { echo "no summary for a truncated capture" >&2; exit 1; }
grep -v "$note" "$err" >"$out.cmp" || true
[ "$(wc -l <"$out.cmp")" = 1 ] && grep -q 'is truncated' "$out.cmp" ||
	{ echo "stderr should be one sentence saying truncated:" >&2; cat "$err" >&2; exit 1; }
echo "ok: report reproduces the run$([ $old = 0 ] || echo ' (an old capture: log2 percentiles, said so)'); a truncated copy exits 5 with its summary"
