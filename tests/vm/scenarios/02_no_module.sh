#!/bin/sh
# Without the module, `netstack-kmon status` exits 3 and says how to load it.
. /scenarios/lib.sh

! module_loaded || fail "$NSK_MOD is loaded at the start"
for args in "status" "status --json"; do
	step "netstack-kmon $args without the module"
	run netstack-kmon $args >/tmp/out 2>/tmp/err
	rc=$?
	echo "stdout:"; cat /tmp/out
	echo "stderr:"; cat /tmp/err
	assert_eq 3 "$rc" "exit code of 'netstack-kmon $args'"
	assert_match /tmp/err 'modprobe netstack_kmon|insmod' "stderr says how to load the module"
done
check_dmesg
