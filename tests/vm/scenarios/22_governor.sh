#!/bin/sh
# Issue 6, scenario 5: the overhead governor.  Under a load above the budget
# the module raises the sampling divisor itself, the record rate falls under
# the budget, every decision reaches userspace, and status says so.
. /scenarios/lib.sh
PORT=9420
BUDGET=4000	# records/s per CPU (the load below makes ~6000)

# the budget as a module parameter (the CLI's --budget sets it per collection)
load_module budget=$BUDGET
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 60000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm loaded &
RECV=$!
wait_file /tmp/ready 10
start_live
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count 1000000 --pps 12000 >/tmp/send.txt &
SEND=$!
sleep 4
netstack-kmon status --json >/tmp/s1.json
W1=$(nsk-jq /tmp/s1.json '.cpus|sum:written'); F1=$(nsk-jq /tmp/s1.json '.cpus|sum:ring_full')
sleep 2
netstack-kmon status --json >/tmp/s2.json
W2=$(nsk-jq /tmp/s2.json '.cpus|sum:written'); F2=$(nsk-jq /tmp/s2.json '.cpus|sum:ring_full')
run netstack-kmon status
kill $SEND; wait $SEND
stop_live
kill $RECV; wait $RECV

assert_eq "$(nsk-jq /tmp/s2.json .governor.budget)" "$BUDGET" "status shows the budget"
assert_gt "$(nsk-jq /tmp/s2.json .governor.changes)" 0 "the governor changed the sampling"
assert_gt "$(nsk-jq /tmp/s2.json .governor.sample_effective)" 1 "sampling raised above 1/1"
assert_gt "$(nsk-jq /tmp/s2.json '.cpus|sum:sampled_out')" 0 "records were sampled out"
# all CPUs together over 2 s: under 2 CPUs x budget x 2 s
RATE=$(( (W2 + F2 - W1 - F1) / 2 ))
echo "records/s after the governor settled (all CPUs): $RATE"
assert_le "$RATE" "$((2 * BUDGET))" "record rate under the budget"
assert_eq "$(nsk-jq /tmp/s2.json .config.budget)" "$BUDGET" "status config shows the budget"
unload_module
