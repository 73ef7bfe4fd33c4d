#!/bin/sh
# Issue 6, scenario 4: flow-consistent sampling.  F flows (distinct source
# ports) of K datagrams each, sampled 1/D in the kernel on a hash of the
# 5-tuple.  Every sampled flow's journeys are complete (complete is a
# multiple of K, nothing incomplete or partial), and the number of sampled
# flows S = complete/K is within 4 standard deviations of F/D
# (binomial: sd = sqrt(F * 1/D * (1 - 1/D))).
. /scenarios/lib.sh
F=${NSK_FLOWS:-200}
K=5
D=4
PORT=9430

load_module
run sysctl -w net.core.rmem_max=33554432	# a reader starved by a loaded host must not drop
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --expect $((F * K)) --idle-ms 5000 --rcvbuf 8388608 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm sampled &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT --sample 1/$D
echo "+ for i in 1..$F: nsk-udp-send --src-port \$((20000 + i)) --count $K"
i=1
while [ $i -le $F ]; do
	nsk-udp-send --dst 127.0.0.1 --port $PORT --src-port $((20000 + i)) --count $K --pps 0 >/dev/null ||
		fail "sender $i failed"
	i=$((i + 1))
done
wait $RECV
stop_live

assert_eq "$(kv received /tmp/recv.txt)" "$((F * K))" "the application received every datagram"
C=$(jq_get .journeys.rx.complete)
assert_eq "$((C % K))" 0 "complete journeys come in whole flows ($C = S x $K)"
assert_eq "$(jq_get .journeys.rx.incomplete)" 0 "no incomplete journey"
assert_eq "$(jq_get .journeys.rx.partial)" 0 "no partial journey"
S=$((C / K))
# 4 sigma = sqrt(16 * F * (D - 1)) / D  (integer arithmetic, rounded up)
isqrt() { r=0; while [ $(((r + 1) * (r + 1))) -le "$1" ]; do r=$((r + 1)); done; echo $r; }
W=$(( ($(isqrt $((16 * F * (D - 1)))) + 1 + D - 1) / D ))
LO=$((F / D - W))
HI=$(((F + D - 1) / D + W))
echo "sampled flows: $S of $F (expected $((F / D)), 4-sigma bound [$LO, $HI])"
assert_ge "$S" "$LO" "sampled flows above the binomial bound"
assert_le "$S" "$HI" "sampled flows below the binomial bound"
assert_gt "$(jq_get '.cpus|sum:sampled_out')" 0 "the kernel sampled records out"
assert_eq "$(jq_get .filters.sample)" "$D" "the report is marked as sampled 1/$D"
for l in ring netlink user; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0"
done
unload_module
