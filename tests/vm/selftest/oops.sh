#!/bin/sh
# Harness self-test: a NULL pointer dereference in the kernel (oops=panic ends
# the guest); the report must name this scenario and show the oops.
. /scenarios/lib.sh
run insmod /lib/nsk_splat.ko what=oops
sleep 600
