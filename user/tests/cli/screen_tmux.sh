#!/bin/sh
# screen_tmux.sh TOOL CAPTURE: the live screen as a person sees it, in tmux panes of fixed size.
# Replays CAPTURE (the synthetic capture with a sequence gap) and reads the pane as it is drawn:
#   1. 120x40, colour, recorded pace: the alternate screen shows the header with elapsed time
#      and rate, log2 bars with p50/p99, the socket table, the loss line in the warning colour,
#      redrawn in place (nothing scrolls into the history); at the end the summary is on the
#      normal screen, the history holds no frame, the cursor and `stty -a` (icanon echo) are back.
#   2. 100x30, NO_COLOR, replay 10x slower than recorded: keys switch views (s d Tab) and the sort
#      order (< > i, checked by the order of the rows), h shows the help; a resize to 60x20 is
#      redrawn at once at the new size; keys and the resize are answered before the next
#      interval; q leaves with the summary on the normal screen and the terminal restored.
#   3. SIGTERM: the summary, the terminal restored.  SIGHUP: dies, the terminal restored.
#   4. Ctrl-Z in an interactive shell: the shell gets a sane terminal; fg brings the screen back.
# Every wait polls the pane with a timeout (slow, loaded machines): no fixed sleeps.
set -eu
tool=$1 cap=$2
command -v tmux >/dev/null || { echo "tmux missing (scripts/install-deps.sh)"; exit 1; }
sock="nsk-screen-$$"
tmp=$(mktemp -d)
pane=$tmp/pane
tmx() { tmux -L "$sock" "$@"; }
trap 'tmx kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
# A session that lives as long as the test: killing the test's session then never ends the
# server while the next new-session connects to it ("server exited unexpectedly").
tmx new-session -d -s keep "sleep 3600"

fail() {
	echo "FAIL: $*" >&2
	[ -s "$pane" ] && { echo "--- the pane:" >&2; cat "$pane" >&2; }
	exit 1
}
step() { echo "--- $*"; }
grab() { tmx capture-pane -p "$@" -t nsk >"$pane" 2>/dev/null || : >"$pane"; }
fmt() { tmx display -p -t nsk "$1"; } # a tmux format of the pane: #{alternate_on}, ...
# poll COMMAND...: retry (every 0.1 s, up to 30 s) until COMMAND succeeds
poll() {
	i=0
	while [ $i -lt 300 ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
shows() { grab "$@" && grep -q -- "$pat" "$pane"; }
# wait_for PATTERN [capture-pane options]: the pane shows PATTERN
wait_for() {
	pat=$1
	shift
	poll shows "$@" || fail "the pane never showed '$pat'"
}
fmt_is() { [ "$(fmt "$1")" = "$2" ]; }
wait_fmt() { poll fmt_is "$1" "$2" || fail "$1 is $(fmt "$1"), not $2"; }
has() { grep -q -- "$1" "$pane" || fail "the pane lacks '$1'"; }
lacks() { ! grep -q -- "$1" "$pane" || fail "the pane shows '$1'"; }
line_of() { grep -n -- "$1" "$pane" | head -1 | cut -d: -f1; }
above() {
	a=$(line_of "$1")
	b=$(line_of "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || fail "'$1' is not above '$2'"
}
fits() { # fits COLS ROWS: no line wider, no more lines
	[ "$(LC_ALL=C.UTF-8 wc -L <"$pane")" -le "$1" ] || fail "lines wider than $1 columns"
	[ "$(wc -l <"$pane")" -le "$2" ] || fail "more than $2 lines"
}
interval_no() { sed -n 's/.*\[interval \([0-9]*\)\].*/\1/p' "$pane" | head -1; }

# The pane runs run.sh: the tool (its pid in $tmp/pid), then its exit code and `stty -a` of the
# same terminal, then waits so that the pane stays readable.
cat >"$tmp/run.sh" <<EOF
#!/bin/sh
cd "$tmp"
rm -f rc stty
sh -c 'echo \$\$ >pid; exec "\$0" "\$@"' "$tool" live --replay "$cap" "\$@"
echo \$? >rc.tmp && mv rc.tmp rc
stty -a >stty.tmp && mv stty.tmp stty
exec sleep 600
EOF
start() { # start COLS ROWS ENV [tool options]
	cols=$1 rows=$2 env=$3
	shift 3
	tmx kill-session -t nsk 2>/dev/null || true
	rm -f "$tmp/rc" "$tmp/stty" "$tmp/pid"
	tmx new-session -d -s nsk -x "$cols" -y "$rows" "env $env sh '$tmp/run.sh' $*"
	poll test -s "$tmp/pid" || fail "the tool did not start"
}
ended() { poll test -s "$tmp/stty" || fail "the tool did not end"; }
# restored RC: the tool exited with RC, left the alternate screen, showed the cursor, and the
# terminal is in canonical mode with echo again (`stty -a` run in the same pane afterwards)
restored() {
	ended
	[ "$(cat "$tmp/rc")" = "$1" ] || fail "exit code $(cat "$tmp/rc"), not $1"
	wait_fmt '#{alternate_on}' 0
	wait_fmt '#{cursor_flag}' 1
	for f in icanon echo; do
		grep -Eq "(^| )$f( |$)" "$tmp/stty" && ! grep -Eq "(^| )-$f( |$)" "$tmp/stty" ||
			{ cat "$tmp/stty" >&2; fail "stty -a after the tool: no $f"; }
	done
}
# summary_only: the normal screen and its history hold the summary and no frame of the screen
summary_only() {
	grab -S - -J
	has 'netstack-kmon summary:'
	has 'Drops by reason and location'
	for frame in 'ev/s' 'q quit' '\[interval ' 'Busiest stages' 'waiting for the first'; do
		lacks "$frame"
	done
}
# press KEY PATTERN: after KEY the pane shows PATTERN; counts whether that came before the next
# interval's redraw (the interval number did not change)
presses=0 prompt=0
press() {
	grab
	before=$(interval_no)
	tmx send-keys -t nsk "$1"
	wait_for "$2"
	presses=$((presses + 1))
	[ "$(interval_no)" = "$before" ] && prompt=$((prompt + 1))
	return 0
}

step "1. 120x40, colour, recorded pace"
start 120 40 TERM=xterm-256color --speed 1
wait_for 'interval 3'
for want in '00:00:03 elapsed' 'ev/s' 'Busiest stages' '|@@' 'p50' 'p99' 'Top sockets by drops' \
	'127.0.0.1:9000' 'SOCKET_RCVBUFF' 'loss: ring 0, netlink 7' '^\[receive\] send drops'; do
	has "$want"
done
fits 120 40
[ "$(fmt '#{alternate_on}')" = 1 ] || fail "not on the alternate screen"
[ "$(fmt '#{history_size}')" = 0 ] || fail "frames scrolled into the history"
[ "$(tail -n 1 "$pane" | cut -c1-9)" = '[receive]' ] || fail "the key line is not the last row"
cat "$pane"
grab -e
grep -q "$(printf '\033')\[1;31mloss: ring 0, netlink 7" "$pane" || # tmux may re-encode SGR
	grep "loss: ring" "$pane" | grep -q "$(printf '\033')\[[0-9;]*31m" ||
	fail "the loss line is not in the warning colour"
restored 0
wait_for '^loss: netlink 7 records' -S -
summary_only

step "2. 100x30, NO_COLOR, keys, resize, q"
start 100 30 "TERM=xterm-256color NO_COLOR=1" --speed 0.1
wait_for '\[interval 1\]'
has '^\[receive\] send drops  sort: drops↓'
above '127.0.0.1:9000' '127.0.0.1:9001'
press s '^receive \[send\] drops'
has 'tx journeys:'
has 'SEND p99'
press d '^receive send \[drops\]'
has 'Drops by reason and location'
has 'kernel drop counters'
has 'Sockets with drops'
press Tab '^\[receive\] send drops'
has 'rx journeys:'
press '<' 'Top sockets by tx packets'
press '<' 'Top sockets by rx packets'
has 'RX↓'
press '<' 'Top sockets by pid'
has 'PID↓'
above '127.0.0.1:9001' '127.0.0.1:9000' # pid 4343 above 4242
press i 'Sockets by pid, ascending'
has 'PID↑'
above '127.0.0.1:9000' '127.0.0.1:9001'
press '>' 'Sockets by rx packets, ascending'
above '127.0.0.1:9001' '127.0.0.1:9000' # 25 packets above 100
press h 'netstack-kmon live: keys'
press x 'Sockets by rx packets, ascending' # any key leaves the help
tries=0
while :; do # the resize is redrawn at once (not at the next interval)
	grab
	before=$(interval_no)
	w=$((60 + tries))
	tmx resize-window -t nsk -x $w -y 20
	wait_for "^\[receive\] send drops  sort: rx packets↑"
	poll sh -c "[ \"\$(tmux -L '$sock' capture-pane -p -t nsk | wc -l)\" -le 20 ] &&
		[ \"\$(tmux -L '$sock' capture-pane -p -t nsk | tail -n 1 | cut -c1-9)\" = '[receive]' ]" ||
		fail "no redraw at 20 rows"
	grab
	fits $w 20
	[ "$(interval_no)" = "$before" ] && break
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "the resize waited for the next interval, 3 times"
done
grab -e
! grep -q "$(printf '\033')\[" "$pane" || fail "NO_COLOR set but colours drawn"
[ "$(fmt '#{history_size}')" = 0 ] || fail "frames scrolled into the history"
echo "keys answered before the next interval: $prompt of $presses"
[ $((prompt * 2)) -ge $presses ] || fail "keys wait for the next interval"
cat "$pane"
tmx send-keys -t nsk q
restored 0
summary_only

step "3. SIGTERM, then SIGHUP"
start 80 24 TERM=xterm-256color --speed 0.2
wait_for '\[interval 1\]'
kill -TERM "$(cat "$tmp/pid")"
restored 0
summary_only
start 80 24 TERM=xterm-256color --speed 0.2
wait_for 'waiting for the first report'
kill -HUP "$(cat "$tmp/pid")"
restored 129 # 128 + SIGHUP: the default action, after the terminal was restored

step "4. Ctrl-Z and fg in an interactive shell"
tmx kill-session -t nsk
tmx new-session -d -s nsk -x 100 -y 30 "env -i PATH=\"$PATH\" HOME=\"$tmp\" TERM=xterm-256color PS1='nsk\$ ' sh -i"
wait_for 'nsk\$'
tmx send-keys -t nsk "'$tool' live --replay '$cap' --speed 0.2" Enter
wait_for '\[interval 1\]'
tmx send-keys -t nsk C-z
wait_fmt '#{alternate_on}' 0
tmx send-keys -t nsk "stty -a >'$tmp/stty.tstp'; echo stopped-ok" Enter
wait_for '^stopped-ok'
grep -Eq "(^| )icanon( |$)" "$tmp/stty.tstp" && grep -Eq "(^| )echo( |$)" "$tmp/stty.tstp" ||
	fail "the terminal was not restored before stopping"
tmx send-keys -t nsk fg Enter
wait_fmt '#{alternate_on}' 1
wait_for '^\[receive\] send drops'
tmx send-keys -t nsk q
wait_fmt '#{alternate_on}' 0
wait_for 'netstack-kmon summary:' -S -
tmx send-keys -t nsk "stty -a >'$tmp/stty.fg'; echo done-ok" Enter
wait_for '^done-ok'
grep -Eq "(^| )icanon( |$)" "$tmp/stty.fg" && grep -Eq "(^| )echo( |$)" "$tmp/stty.fg" ||
	fail "the terminal was not restored after q"

echo "ok: live screen on the alternate screen, views, sort, resize, q, SIGTERM, SIGHUP, Ctrl-Z"
