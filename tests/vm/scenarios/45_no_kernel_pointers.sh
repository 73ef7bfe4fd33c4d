#!/bin/sh
# nsk-vm: tcg-thread=single
# No raw kernel pointer leaves the kernel: skb_id and sk_id are keyed hashes
# (siphash, key drawn at each load).  With kernel.kptr_restrict=1 root reads
# the real socket addresses in /proc/net/* (with 0, %pK prints hashed values
# on 6.1, so 1 is the setting that shows them).  A known socket's exported
# sk_id differs from its address; no exported id equals any socket address
# the guest lists, nor even lies in the same 1 TiB region (top 24 bits) as
# the known socket; the id is stable within a load and changes across a
# reload (per-load key).
. /scenarios/lib.sh
PORT=9450
N=300

run sysctl -w kernel.kptr_restrict=1
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 600000 \
	--ready-file /tmp/45-ready --out /tmp/45-recv.txt --comm known-sock
RECV=$SPAWNED
wait_file /tmp/45-ready 10
HEXPORT=$(printf '%04X' $PORT)
LINE=$(awk -v p=":$HEXPORT" 'FNR > 1 && substr($2, length($2) - 4) == p' /proc/net/udp)
echo "/proc/net/udp: $LINE"
INODE=$(echo "$LINE" | awk '{print $10}')
PTR=$(echo "$LINE" | awk '{print $12}')
echo "socket inode $INODE, address $PTR"
# a kernel address: ffff88... (4-level paging) or ff11... (5-level, e.g. the debug kernel on -cpu max)
echo "$PTR" | grep -Eq '^ff[0-9a-f]{14}$' || fail "the socket address '$PTR' is not a raw kernel address (kptr_restrict=1 as root should show it)"
ok "the guest sees the socket's raw address $PTR"

# collect LOAD: one collection with nsk-genl-sub writing every record's ids
collect() {
	load_module
	spawn nsk-genl-sub --start --until-stopped --ids /tmp/45-ids$1.txt --ready-file /tmp/45-sub$1.ready \
		>/tmp/45-sub$1.txt
	SUB=$SPAWNED
	wait_file /tmp/45-sub$1.ready 10
	run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 1000 >/dev/null
	sleep 1
	run nsk-genl-sub --stop || fail "STOP failed"
	wait $SUB || fail "the subscriber failed"
	cat /tmp/45-sub$1.txt
	echo "records with ids: $(wc -l </tmp/45-ids$1.txt)"
	assert_eq "$(kv records /tmp/45-sub$1.txt)" "$(wc -l </tmp/45-ids$1.txt)" \
		"load $1: every record read (compact stages rebuilt from the event they name)"
	assert_eq 0 "$(kv bad_refs /tmp/45-sub$1.txt)" "load $1: no compact stage names a missing event"
	assert_gt "$(kv stages /tmp/45-sub$1.txt)" 0 "load $1: compact stages sent"
	# every socket address the guest can see right now
	cat /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6 /proc/net/netlink \
		/proc/net/unix /proc/net/packet /proc/net/raw 2>/dev/null |
		grep -Eo '(^|[^0-9a-f])ff[0-9a-f]{14}([^0-9a-f]|$)' | grep -Eo 'ff[0-9a-f]{14}' |
		sort -u >/tmp/45-ptrs$1.txt
	echo "kernel addresses listed in /proc/net: $(wc -l </tmp/45-ptrs$1.txt)"
	assert_gt "$(wc -l </tmp/45-ptrs$1.txt)" 3 "several socket addresses visible"
	unload_module
	# ids of the known socket: records whose socket is it (its inode, or
	# its local port)
	awk -v ino="$INODE" -v p="$PORT" '($4 == ino || $5 == p) && $3 != "0000000000000000" { print $3 }' \
		/tmp/45-ids$1.txt | sort -u >/tmp/45-skid$1.txt
	assert_eq 1 "$(wc -l </tmp/45-skid$1.txt)" "load $1: one sk_id for the known socket (stable within a load)"
	SKID=$(cat /tmp/45-skid$1.txt)
	assert_ne "$PTR" "$SKID" "load $1: sk_id of the socket != its address"
	awk '{ print $2; print $3 }' /tmp/45-ids$1.txt | grep -v '^0000000000000000$' | sort -u >/tmp/45-allids$1.txt
	assert_gt "$(wc -l </tmp/45-allids$1.txt)" 1 "load $1: ids exported"
	assert_eq 0 "$(grep -cxFf /tmp/45-ptrs$1.txt /tmp/45-allids$1.txt)" "load $1: no exported id equals a kernel address listed in /proc/net"
	assert_eq 0 "$(grep -c "^${PTR%??????????}" /tmp/45-allids$1.txt)" "load $1: no exported id in the socket's 1 TiB region (${PTR%??????????}...)"
}

step "load 1"
collect 1
SKID1=$SKID
step "load 2 (module reloaded: new key)"
collect 2
assert_ne "$SKID1" "$SKID" "the same socket's sk_id differs across loads"
assert_eq 0 "$(sort /tmp/45-allids1.txt /tmp/45-allids2.txt | uniq -d | wc -l)" "no id shared between the two loads"
kill $RECV; wait $RECV 2>/dev/null
