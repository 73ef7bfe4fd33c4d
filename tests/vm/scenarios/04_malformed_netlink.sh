#!/bin/sh
# Malformed generic netlink requests (unknown command, wrong attribute length
# and type, unknown attribute, truncated messages) are refused with an error
# and the module keeps working; an unprivileged user gets exit 4 / EPERM.
. /scenarios/lib.sh

load_module

step "malformed requests as root"
run nsk-genl-fuzz || fail "a malformed request was accepted (or got no answer)"

step "the module still answers"
run netstack-kmon status --json >/tmp/s.json || fail "status failed after the malformed requests (exit $?)"
assert_match /tmp/s.json '"module_loaded"[[:space:]]*:[[:space:]]*true' "module_loaded is true"

step "unprivileged user (uid 65534)"
run nsk-runas 65534:65534 netstack-kmon status >/tmp/out 2>/tmp/err
rc=$?
cat /tmp/out /tmp/err
assert_eq 4 "$rc" "exit code of 'netstack-kmon status' without CAP_NET_ADMIN"
assert_match /tmp/err 'CAP_NET_ADMIN' "stderr names the missing capability"
run nsk-runas 65534:65534 nsk-genl-fuzz --unpriv || fail "an unprivileged request or group join was accepted"

step "still working"
run netstack-kmon status >/dev/null || fail "status failed at the end (exit $?)"
unload_module
check_dmesg
