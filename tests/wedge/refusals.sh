#!/bin/sh
# Runs inside dom0 (shipped by conformance.test): each bad guest must be
# refused with its console message, and its domain must power off cleanly
# (on_crash="preserve" keeps a crashed domain listed, so a crash or a hang
# shows up as a domain that is still there).
fail=0
refusal() {
	name=$1 ramdisk=$2 want=$3
	cat >/tmp/$name.cfg <<CFG
name = "$name"
kernel = "/ab/wedge"
ramdisk = "$ramdisk"
extra = "refusal test"
memory = 64
on_crash = "preserve"
CFG
	if ! xl create /tmp/$name.cfg; then
		echo "REFUSAL $name: FAIL (xl create failed)"
		fail=1
		return
	fi
	i=0
	while xl list "$name" >/dev/null 2>&1 && [ $i -lt 120 ]; do
		i=$((i + 1))
		sleep 1
	done
	log=/var/log/xen/console/guest-$name.log
	sed "s/^/  [$name] /" "$log"
	if xl list "$name" >/dev/null 2>&1; then
		echo "REFUSAL $name: FAIL (domain still there: $(xl list "$name" | tail -n 1))"
		xl destroy "$name"
		fail=1
	elif grep -q "$want" "$log"; then
		echo "REFUSAL $name: PASS (refused and powered off after ${i}s)"
	else
		echo "REFUSAL $name: FAIL (no \"$want\" on its console)"
		fail=1
	fi
}
# the shared validator's reasons (domtools/libafterburn/validate.c), the
# same ab-create and the libxenguest loader give
refusal nonote /ab/conformance-plain.elf "wedge: refusing the guest: no 'Afterburn' note (type 1): not a burnt kernel"
refusal corrupt /ab/conformance-corrupt.elf "wedge: refusing the guest: record 0: site 0x[0-9a-f]*: unknown kind 999"
refusal badabi /ab/conformance-abi99.elf "wedge: refusing the guest: afterburn note: ABI version 99, this loader knows 1"
exit $fail
