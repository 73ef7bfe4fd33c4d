#!/bin/sh
# Harness self-test: nothing but a clean boot (used for the boot-stall retry).
. /scenarios/lib.sh
ok "the guest reached /init and runs scenarios"
