#!/bin/sh
# Run inside dom0 by tests/domtools/xen-e2e.test (busybox sh).
#   e2e-dom0.sh conformance   the conformance guest via ab-create: SUCCESS,
#                             visible to xl list, console tty attached by
#                             xenconsoled, gone after xl destroy
#   e2e-dom0.sh cycles N      N ab-create/xl destroy cycles: no domain left,
#                             xl info free_memory back to its starting value
#   e2e-dom0.sh bundles       stock xl create (kernel = wedge) with bundles
#                             made by ab-create --bundle-out: a good one boots
#                             the pre-rewritten guest, corrupt site tables
#                             are refused
#   e2e-dom0.sh shutdown      the idle guest: xl console, then xl shutdown -w
#                             and xl reboot via ab-create --reap and xl create
set -u
# the guest's command line (the conformance groups the wedge runs)
CMDLINE=$(cat /ab/conformance.cmdline 2>/dev/null || echo "conformance run")
fail() {
	echo "E2E FAIL: $*"; xl list
	[ -n "${guest:-}" ] && tail -n 30 "/var/log/xen/console/guest-$guest.log" | tr -d '\r' | sed "s/^/E2E [$guest] /"
	exit 1
}
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
	ab-create -w /ab/wedge -m 64 -c "$CMDLINE" -n "$name" "$@" /ab/conformance.elf
}
case $1 in
conformance)
	create ab-conf || fail "ab-create exited $?"
	wait_console ab-conf '^Test result: (SUCCESS|FAILURE)' 180 || fail "no 'Test result' line in 180 s"
	sed 's/^/E2E [ab-conf] /' /var/log/xen/console/guest-ab-conf.log | tr -d '\r'
	grep -q '^Test result: SUCCESS' /var/log/xen/console/guest-ab-conf.log || fail "conformance guest failed"
	grep -q 'site rewriting: done by the domain builder' /var/log/xen/console/guest-ab-conf.log ||
		fail "the wedge did not take the sites rewritten by ab-create"
	echo "E2E ab-conf: sites rewritten by ab-create, taken from the bundle by the wedge"
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
		# Even cycles carry an initrd in the boot bundle and leave the
		# rewriting to the wedge; odd ones are rewritten by ab-create.
		if [ $((i % 2)) -eq 0 ]; then set -- -r /ab/guest-initrd.cpio --wedge-rewrites; else set --; fi
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
bundles)
	# the wedge as the kernel, a bundle as the module: the stock xl path
	for b in good bad-original bad-address bad-count bad-layout bad-flags bad-noflag; do
		printf 'name = "%s"\nkernel = "/ab/wedge"\nramdisk = "/ab/%s.bundle"\nextra = "%s"\nmemory = 64\n' \
			"$b" "$b" "$CMDLINE" >"/tmp/$b.cfg"
		xl create "/tmp/$b.cfg" 'on_poweroff="preserve"' >/dev/null || fail "xl create $b"
		if [ $b = good ]; then
			wait_console $b '^Test result: (SUCCESS|FAILURE)' 180 || fail "$b: no 'Test result' line"
			grep -q '^Test result: SUCCESS' /var/log/xen/console/guest-$b.log || fail "$b: conformance failed"
			grep -q 'site rewriting: done by the domain builder' /var/log/xen/console/guest-$b.log ||
				fail "$b: the wedge did not take the pre-rewritten path"
			echo "E2E bundle $b: SUCCESS on the pre-rewritten path"
		else
			wait_console $b 'wedge: refusing the guest' 120 || fail "$b: not refused"
			sed -n 's/^wedge: refusing/E2E bundle '$b': refusing/p' /var/log/xen/console/guest-$b.log | tr -d '\r'
			case $b in
			bad-layout) why='bundle site table: rewritten for another wedge layout' ;;
			bad-flags) why='boot bundle: unknown flags 80' ;;
			bad-noflag) why='boot bundle: a site table .* goes with the rewritten flag' ;;
			*) why='corrupt bundle site table: ' ;;
			esac
			grep -Eq "refusing the guest: $why" /var/log/xen/console/guest-$b.log ||
				fail "$b: not refused with '$why'"
			grep -q 'entering the guest' /var/log/xen/console/guest-$b.log && fail "$b: the guest ran"
		fi
		xl destroy $b || fail "xl destroy $b"
	done
	echo "E2E bundles: PASS"
	;;
shutdown)
	gone() { # NAME SECONDS: wait until xl no longer lists NAME
		w=0
		while xl list "$1" >/dev/null 2>&1; do
			[ $w -ge "$2" ] && return 1
			sleep 1; w=$((w + 1))
		done
	}
	# xl console on a running domain: attach, then let it print
	guest=ab-idle   # fail() shows its console log
	ab-create -w /ab/wedge -m 32 -n ab-idle --reap --paused /ab/idle.elf >/dev/null || fail "ab-create ab-idle"
	id=$(xl domid ab-idle) || fail "xl domid ab-idle"
	w=0
	until xenstore-read "/local/domain/$id/console/tty" >/dev/null 2>&1; do
		[ $w -ge 20 ] && fail "xenconsoled did not attach ab-idle"; sleep 1; w=$((w + 1))
	done
	# stdin: a pipe that stays open and silent (xenconsole ends on EOF)
	(sleep 40 | timeout 30 xl console ab-idle >/tmp/xl-console.out 2>&1 &)
	sleep 2
	xl unpause ab-idle || fail "xl unpause ab-idle"
	w=0
	until grep -q 'AB-IDLE-UP' /tmp/xl-console.out; do
		[ $w -ge 25 ] && { sed 's/^/E2E [xl console] /' /tmp/xl-console.out; fail "xl console did not show the guest's output"; }
		sleep 1; w=$((w + 1))
	done
	grep -a 'AB-IDLE-UP' /tmp/xl-console.out | tr -d '\r' | sed 's/^/E2E xl console ab-idle: /'
	# xl shutdown -w on an ab-create --reap domain idling in hlt
	timeout 60 xl shutdown -w ab-idle || fail "xl shutdown -w ab-idle did not return (exit $?)"
	gone ab-idle 20 || fail "ab-idle still listed 20 s after xl shutdown -w"
	grep -q 'control/shutdown "poweroff"' /var/log/xen/console/guest-ab-idle.log || fail "the wedge did not log the poweroff request"
	echo "E2E xl shutdown -w ab-idle (ab-create --reap): returned, domain gone"
	# xl reboot: the wedge ends the domain with reason reboot, ab-create --reap builds it again
	guest=ab-reboot
	ab-create -w /ab/wedge -m 32 -n ab-reboot --reap /ab/idle.elf >/dev/null || fail "ab-create ab-reboot"
	wait_console ab-reboot 'AB-IDLE-UP' 60 || fail "ab-reboot did not come up"
	id1=$(xl domid ab-reboot)
	xl reboot ab-reboot || fail "xl reboot ab-reboot"
	w=0
	while id2=$(xl domid ab-reboot 2>/dev/null); [ "$id2" = "$id1" ] || [ -z "$id2" ]; do
		[ $w -ge 60 ] && fail "ab-reboot (domain $id1) was not built again after xl reboot"
		sleep 1; w=$((w + 1))
	done
	grep -q 'control/shutdown "reboot"' /var/log/xen/console/guest-ab-reboot.log || fail "the wedge did not log the reboot request"
	echo "E2E xl reboot ab-reboot (ab-create --reap): domain $id1 rebooted as domain $id2"
	timeout 60 xl shutdown -w ab-reboot || fail "xl shutdown -w ab-reboot did not return"
	gone ab-reboot 20 || fail "ab-reboot still listed after xl shutdown -w"
	# the same through the patched xl create (xl's own monitor destroys it)
	printf 'name = "xl-idle"\nkernel = "/ab/idle.elf"\nmemory = 32\n' >/tmp/xl-idle.cfg
	guest=xl-idle
	xl create /tmp/xl-idle.cfg >/dev/null || fail "xl create xl-idle"
	wait_console xl-idle 'AB-IDLE-UP' 60 || fail "xl-idle did not come up"
	timeout 60 xl shutdown -w xl-idle || fail "xl shutdown -w xl-idle did not return (exit $?)"
	gone xl-idle 20 || fail "xl-idle still listed 20 s after xl shutdown -w"
	grep -q 'control/shutdown "poweroff"' /var/log/xen/console/guest-xl-idle.log || fail "the wedge did not log the poweroff request (xl-idle)"
	echo "E2E xl shutdown -w xl-idle (xl create): returned, domain gone"
	left=$(xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l)
	[ "$left" -eq 0 ] || fail "$left domain(s) left"
	echo "E2E shutdown: PASS"
	;;
*) fail "usage: $0 conformance | cycles N | bundles | shutdown" ;;
esac
