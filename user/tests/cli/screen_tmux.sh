#!/bin/sh
# screen_tmux.sh TOOL CAPTURE: the live screen as a person sees it.  Replays CAPTURE (the
# synthetic capture with a sequence gap) at recorded pace in a 120x40 tmux pane, captures the
# pane mid-replay and checks what is on it: the header with elapsed time and rate, log2 bars with
# p50/p99, the socket table, the loss line in the warning colour.  Then: NO_COLOR gives no
# escapes, a 60x20 terminal is respected, and the final summary replaces the screen.
set -eu
tool=$1 cap=$2
command -v tmux >/dev/null || { echo "tmux missing (scripts/install-deps.sh)"; exit 1; }
sock="nsk-screen-$$"
tmx() { tmux -L "$sock" "$@"; }
pane=$(mktemp)
trap 'tmx kill-server 2>/dev/null || true; rm -f "$pane"' EXIT

wait_for() { # wait_for PATTERN [capture-pane options]: poll the pane until it shows PATTERN
	pat=$1
	shift
	i=0
	while [ $i -lt 100 ]; do
		tmx capture-pane -p "$@" -t nsk >"$pane" 2>/dev/null || true
		grep -q -- "$pat" "$pane" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "pane never showed '$pat'; it shows:" >&2
	cat "$pane" >&2
	return 1
}
has() { grep -q -- "$1" "$pane" || { echo "screen lacks '$1':" >&2; cat "$pane" >&2; exit 1; }; }

# 1. 120x40, colour, recorded pace: the screen of interval 3 (the gap is in second 3).
tmx new-session -d -s nsk -x 120 -y 40 "TERM=xterm-256color '$tool' live --replay '$cap' --speed 1; sleep 30"
wait_for 'interval 3'
for want in '00:00:03 elapsed' 'ev/s' 'Busiest stages' '|@@' 'p50' 'p99' 'Top sockets by drops' \
	'127.0.0.1:9000' 'SOCKET_RCVBUFF' 'loss: ring 0, netlink 7'; do
	has "$want"
done
[ "$(LC_ALL=C.UTF-8 wc -L <"$pane")" -le 120 ] ||
	{ echo "lines wider than 120 columns" >&2; exit 1; }
[ "$(wc -l <"$pane")" -le 40 ]
echo "--- the screen (120x40) ---"
cat "$pane"
tmx capture-pane -p -e -t nsk >"$pane"
grep -q "$(printf '\033')\[1;31mloss: ring 0, netlink 7" "$pane" || # tmux may re-encode SGR
	grep "loss: ring" "$pane" | grep -q "$(printf '\033')\[[0-9;]*31m" ||
	{ echo "the loss line is not in the warning colour" >&2; exit 1; }
# the final summary replaces the screen at the end
wait_for '^loss: netlink 7 records'
has 'Drops by reason and location'
tmx kill-session -t nsk

# 2. 60x20 and NO_COLOR: still fits, no escapes.
tmx new-session -d -s nsk -x 60 -y 20 "NO_COLOR=1 '$tool' live --replay '$cap' --speed 2; sleep 30"
wait_for 'Top sockets by drops' -e
[ "$(LC_ALL=C.UTF-8 wc -L <"$pane")" -le 60 ] ||
	{ echo "lines wider than 60 columns:" >&2; cat "$pane" >&2; exit 1; }
[ "$(wc -l <"$pane")" -le 20 ]
! grep -q "$(printf '\033')\[" "$pane" || { echo "NO_COLOR set but colours drawn" >&2; exit 1; }
echo "ok: live screen shows bars, sockets and the loss line, and fits the terminal"
