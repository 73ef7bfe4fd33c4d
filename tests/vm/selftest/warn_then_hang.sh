#!/bin/sh
# Harness self-test: a WARN that does not panic (run with --no-panic-on-warn),
# then a scenario that would hang for 10 minutes.  The host-side watcher must
# end the VM within seconds and print the WARN.
. /scenarios/lib.sh
run insmod /lib/nsk_splat.ko what=warn
echo "selftest: WARN raised; now hanging"
sleep 600
