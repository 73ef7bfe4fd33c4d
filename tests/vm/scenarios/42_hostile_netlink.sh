#!/bin/sh
# Hostile netlink: thousands of random malformed requests (nsk-genl-fuzz
# --random: unknown commands, truncated generic netlink headers, unknown,
# wrong-typed, wrong-length, overrunning and oversized attributes, garbage
# nests, out-of-range filter values) are each refused with an error — with
# extack wherever the family's strict policy or its semantic checks refuse —
# nothing is accepted, the module's state is unchanged (configuration, not
# collecting), and afterwards a normal collection counts exactly N
# datagrams.  Scenario 04 covers the hand-written cases and the
# unprivileged user; scenario 43 privilege in depth.
. /scenarios/lib.sh
FUZZ_N=${NSK_FUZZ_N:-10000}
SEED=${NSK_FUZZ_SEED:-$(date +%s)}
N=500
PORT=9420

load_module
run netstack-kmon status --json >/tmp/42-s0.json || fail "status failed (exit $?)"
CFG0=$(nsk-jq /tmp/42-s0.json .config)
echo "configuration before: $CFG0"

step "the hand-written malformed cases (as in 04)"
run nsk-genl-fuzz >/tmp/42-fuzz0.txt
rc=$?
cat /tmp/42-fuzz0.txt
assert_eq 0 "$rc" "nsk-genl-fuzz exit status"

step "$FUZZ_N random malformed requests (seed $SEED: NSK_FUZZ_SEED=$SEED reproduces)"
t0=$(date +%s)
run nsk-genl-fuzz --random "$FUZZ_N" --seed "$SEED" >/tmp/42-fuzz.txt
rc=$?
echo "took $(($(date +%s) - t0)) s"
cat /tmp/42-fuzz.txt
assert_eq 0 "$rc" "nsk-genl-fuzz --random exit status"
assert_match /tmp/42-fuzz.txt "^random: sent=$FUZZ_N failures=0\$" "every request refused"
# per class: every one sent was refused; the policy classes all had extack
while read -r line; do
	c=$(echo "$line" | tr ' ' '\n' | sed -n 's/^class=//p')
	s=$(echo "$line" | tr ' ' '\n' | sed -n 's/^sent=//p')
	r=$(echo "$line" | tr ' ' '\n' | sed -n 's/^refused=//p')
	e=$(echo "$line" | tr ' ' '\n' | sed -n 's/^extack=//p')
	assert_gt "$s" 0 "class $c: requests sent"
	assert_eq "$s" "$r" "class $c: refused == sent"
	case $c in
	unknown-cmd|short-genlhdr) echo "class $c: $e of $s with extack (the genl core refuses these without one)" ;;
	*) assert_eq "$s" "$e" "class $c: every refusal carries extack" ;;
	esac
done <<EOT
$(grep '^class=' /tmp/42-fuzz.txt)
EOT
assert_eq 9 "$(grep -c '^class=' /tmp/42-fuzz.txt)" "9 classes reported"

step "state unchanged"
run netstack-kmon status --json >/tmp/42-s1.json || fail "status failed after the fuzzing (exit $?)"
assert_eq false "$(nsk-jq /tmp/42-s1.json .collecting)" "not collecting"
assert_eq "$CFG0" "$(nsk-jq /tmp/42-s1.json .config)" "configuration unchanged"

step "a normal collection still counts exactly"
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --expect $N --idle-ms 120000 \
	--ready-file /tmp/42-ready --out /tmp/42-recv.txt --comm after-fuzz
RECV=$SPAWNED
wait_file /tmp/42-ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 1000
wait $RECV
stop_live
assert_eq "$N" "$(kv received /tmp/42-recv.txt)" "application received N"
assert_eq "$N" "$(jq_get .sockets[comm=after-fuzz].rx_packets)" "rx_packets == N"
assert_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
for l in ring netlink user; do
	assert_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
done
unload_module
