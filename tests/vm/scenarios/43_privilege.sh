#!/bin/sh
# Privilege: without CAP_NET_ADMIN in the initial user namespace, every
# command of the tool exits 4 and names the capability; at the netlink
# level STATUS/START/STOP/CONFIG return EPERM and joining "events" is
# refused.  The same holds for an unprivileged user, for root inside a
# non-initial user namespace (a container's root) and for an unprivileged
# user's own user namespace.  A hostile user cannot stop or reconfigure a
# running collection.  (Scenario 04 covers `status` as uid 65534.)
. /scenarios/lib.sh

# denied WHO... -- CMD...: run CMD through nsk-runas WHO, require exit 4 and
# a message naming CAP_NET_ADMIN
denied() {
	local who=
	while [ "$1" != -- ]; do who="$who $1"; shift; done
	shift
	run nsk-runas $who "$@" >/tmp/43-out 2>/tmp/43-err
	rc=$?
	sed 's/^/stdout: /' /tmp/43-out; sed 's/^/stderr: /' /tmp/43-err
	assert_eq 4 "$rc" "exit code of '$*' as$who"
	assert_match /tmp/43-err 'CAP_NET_ADMIN' "'$*' as$who names the missing capability"
}

load_module

for who in "65534:65534" "--userns 0" "--userns 65534:65534"; do
	step "as $who"
	case $who in
	--userns*)
		run nsk-runas $who cat /proc/self/uid_map >/tmp/43-map || fail "cannot enter a user namespace as $who"
		run cat /tmp/43-map
		# inside: uid 0 mapped onto ${who#--userns }; outside: a child namespace
		assert_eq 0 "$(awk '{print $1}' /tmp/43-map)" "uid 0 inside the namespace"
		assert_ne "$(readlink /proc/self/ns/user)" "$(nsk-runas $who readlink /proc/self/ns/user)" "a non-initial user namespace"
		;;
	esac
	denied $who -- netstack-kmon status
	denied $who -- netstack-kmon status --json
	denied $who -- netstack-kmon live --duration 1
	denied $who -- netstack-kmon drops --duration 1
	denied $who -- netstack-kmon record -o /tmp/43-unpriv.nsk --duration 1
	run nsk-runas $who nsk-genl-fuzz --unpriv >/tmp/43-fz.txt
	rc=$?
	cat /tmp/43-fz.txt
	assert_eq 0 "$rc" "nsk-genl-fuzz --unpriv as $who"
	for c in STATUS START STOP CONFIG; do
		assert_match /tmp/43-fz.txt "^case: $c without CAP_NET_ADMIN\$" "$c tried"
	done
	assert_eq 4 "$(grep -c 'ok: refused with -1 (Operation not permitted)' /tmp/43-fz.txt)" "4 commands refused with EPERM"
	assert_match /tmp/43-fz.txt 'ok: refused with' "joining \"events\" refused"
done

step "a hostile user cannot stop or reconfigure a running collection"
start_live --port 9430
for who in "65534:65534" "--userns 0"; do
	run nsk-runas $who nsk-genl-sub --stop 2>/tmp/43-err
	rc=$?
	cat /tmp/43-err
	assert_eq 1 "$rc" "STOP as $who refused"
	assert_match /tmp/43-err 'STOP refused: Operation not permitted' "STOP as $who: EPERM"
done
run netstack-kmon status --json >/tmp/43-s.json
assert_eq true "$(nsk-jq /tmp/43-s.json .collecting)" "still collecting"
assert_eq 9430 "$(nsk-jq /tmp/43-s.json .config.port)" "configuration unchanged (port 9430)"
stop_live
unload_module
