#!/bin/sh
# 20 insmod / status / rmmod cycles in a row; kernel log clean.
. /scenarios/lib.sh

cycles=${NSK_CYCLES:-20}
i=1
while [ "$i" -le "$cycles" ]; do
	step "cycle $i/$cycles"
	load_module
	run netstack-kmon status --json >/tmp/s.json || fail "status failed in cycle $i (exit $?)"
	grep -Eq '"module_loaded"[[:space:]]*:[[:space:]]*true' /tmp/s.json ||
		{ cat /tmp/s.json; fail "module_loaded not true in cycle $i"; }
	unload_module
	i=$((i + 1))
done
ok "$cycles load/status/unload cycles"
check_dmesg
