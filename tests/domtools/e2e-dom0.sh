#!/bin/sh
# Run inside dom0 by tests/domtools/xen-e2e.test (busybox sh).
#   e2e-dom0.sh conformance   the conformance guest via ab-create: SUCCESS,
#                             visible to xl list, console tty attached by
#                             xenconsoled, gone after xl destroy
#   e2e-dom0.sh cycles N      N ab-create/xl destroy cycles: no domain left,
#                             xl info free_memory back to its starting value
set -u
fail() { echo "E2E FAIL: $*"; xl list; exit 1; }
free_mem() { xl info | awk '/^free_memory/ {print $3}'; }
wait_console() { # NAME REGEX SECONDS
	waited=0   # not i: shell variables are global, the cycle loop uses i
	while [ $waited -lt "$3" ]; do
		grep -Eq "$2" "/var/log/xen/console/guest-$1.log" 2>/dev/null && return 0
		sleep 1; waited=$((waited + 1))
	done
	return 1
}
create() { # NAME [ab-create options]
	name=$1; shift
	ab-create -w /ab/wedge -m 64 -c "conformance run" -n "$name" "$@" /ab/conformance.elf
}
case $1 in
conformance)
	create ab-conf || fail "ab-create exited $?"
	wait_console ab-conf '^Test result: (SUCCESS|FAILURE)' 180 || fail "no 'Test result' line in 180 s"
	sed 's/^/E2E [ab-conf] /' /var/log/xen/console/guest-ab-conf.log | tr -d '\r'
	grep -q '^Test result: SUCCESS' /var/log/xen/console/guest-ab-conf.log || fail "conformance guest failed"
	xl list | grep -q '^ab-conf ' || fail "xl list does not show ab-conf"
	id=$(xl domid ab-conf) || fail "xl domid ab-conf"
	tty=$(xenstore-read "/local/domain/$id/console/tty") || fail "no console/tty (xenconsoled did not attach)"
	[ -n "$tty" ] || fail "empty console/tty"
	echo "E2E ab-conf: domain $id listed by xl, console on $tty"
	xl destroy ab-conf || fail "xl destroy ab-conf"
	xl list | grep -q '^ab-conf ' && fail "ab-conf still listed after xl destroy"
	xenstore-exists "/local/domain/$id" && fail "/local/domain/$id left in xenstore"
	echo "E2E conformance via ab-create: PASS"
	;;
cycles)
	n=$2
	[ -f /ab/guest-initrd.cpio ] || fail "/ab/guest-initrd.cpio missing"
	free0=$(free_mem)
	echo "E2E free_memory before: $free0 MiB"
	i=1
	while [ $i -le "$n" ]; do
		# Even cycles carry an initrd in the boot bundle (the wedge does not
		# use it yet, but must still boot the image in front of it).
		if [ $((i % 2)) -eq 0 ]; then set -- -r /ab/guest-initrd.cpio; else set --; fi
		create "ab-cycle-$i" "$@" >/dev/null || fail "cycle $i: ab-create exited $?"
		wait_console "ab-cycle-$i" '^Test result: (SUCCESS|FAILURE)' 180 || {
			tail -n 20 "/var/log/xen/console/guest-ab-cycle-$i.log" | sed "s/^/E2E [ab-cycle-$i] /"
			fail "cycle $i: no 'Test result' line in 180 s"; }
		grep -q '^Test result: SUCCESS' "/var/log/xen/console/guest-ab-cycle-$i.log" || {
			tail -n 20 "/var/log/xen/console/guest-ab-cycle-$i.log" | sed "s/^/E2E [ab-cycle-$i] /"
			fail "cycle $i: the conformance guest failed"; }
		xl destroy "ab-cycle-$i" || fail "cycle $i: xl destroy"
		i=$((i + 1))
	done
	left=$(xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l)
	[ "$left" -eq 0 ] || fail "$left domain(s) left after $n cycles"
	# Destroyed domains release their memory asynchronously: wait (bounded).
	w=0
	while [ "$(free_mem)" != "$free0" ] && [ $w -lt 60 ]; do sleep 1; w=$((w + 1)); done
	free1=$(free_mem)
	echo "E2E free_memory after $n cycles: $free1 MiB"
	[ "$free1" = "$free0" ] || fail "free memory $free1 MiB after $n cycles, $free0 MiB before"
	echo "E2E $n create/destroy cycles: PASS (no domain left, free_memory $free0 -> $free1 MiB)"
	;;
*) fail "usage: $0 conformance | cycles N" ;;
esac
