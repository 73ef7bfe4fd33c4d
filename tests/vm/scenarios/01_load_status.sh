#!/bin/sh
# insmod -> `netstack-kmon status --json` shows module_loaded, the module
# version and one entry per online CPU -> rmmod; kernel log clean.
. /scenarios/lib.sh

step "load the module"
load_module
ver=$(cat /sys/module/$NSK_MOD/version) || fail "/sys/module/$NSK_MOD/version missing (MODULE_VERSION)"
echo "module version: $ver"

step "status --json"
run netstack-kmon status --json >/tmp/s.json || fail "netstack-kmon status --json exited $?"
cat /tmp/s.json
assert_match /tmp/s.json '"module_loaded"[[:space:]]*:[[:space:]]*true' "module_loaded is true"
assert_match /tmp/s.json "\"module_version\"[[:space:]]*:[[:space:]]*\"$ver\"" "module_version is $ver"
assert_eq "$(online_cpus)" "$(count_matches /tmp/s.json '"cpu"[[:space:]]*:')" "one \"cpu\" entry per online CPU"

step "status (text)"
run netstack-kmon status || fail "netstack-kmon status exited $?"

step "unload"
unload_module
check_dmesg
