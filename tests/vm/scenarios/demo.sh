#!/bin/sh
# `make demo`: what the tool shows inside the VM.  (Extended into a live
# workload demo later.)
. /scenarios/lib.sh

load_module
run netstack-kmon status || fail "netstack-kmon status exited $?"
unload_module
