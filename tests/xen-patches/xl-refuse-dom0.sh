#!/bin/sh
# Runs in dom0 under ci/xen-run (tests/xen-patches/xl-refuse.test): each
# crafted bad image in /ab/bad/ given to the patched `xl create` as
# kernel = "<burnt vmlinux>" must fail at create time, with the shared
# validator's line in xl's output, and leave no domain behind.
# /ab/bad/expected: NAME<TAB>refused: REASON (tests/domtools/crafted.py).
n=0
fail() { echo "E2E xl-refuse: FAIL: $*"; exit 1; }
domains() { xl list | tail -n +2 | wc -l; }
[ "$(domains)" = 1 ] || fail "domains other than Domain-0 before the test"
tab=$(printf '\t')
while IFS="$tab" read -r name want; do
	[ -f "/ab/bad/$name" ] || continue
	reason=${want#refused: }
	cat >/tmp/bad.cfg <<CFG
name = "bad-$n"
kernel = "/ab/bad/$name"
memory = 64
CFG
	if xl create /tmp/bad.cfg >/tmp/xl.out 2>&1; then
		cat /tmp/xl.out
		fail "$name: xl create succeeded"
	fi
	grep -F -q -- "afterburn: refused: $reason" /tmp/xl.out || { cat /tmp/xl.out; fail "$name: no validator line '$reason'"; }
	[ "$(domains)" = 1 ] || { xl list; fail "$name: a domain was left behind"; }
	echo "E2E xl-refuse: $name: $(grep -F -- "afterburn: refused:" /tmp/xl.out | head -n 1 | cut -c1-160)"
	# The loader names the Xen it was built from when the hypervisor is
	# another version (/ab/bad/built-from: the patched library's source).
	built=$(cat /ab/bad/built-from)
	running=$(xl info | sed -n 's/^xen_version *: *//p')
	case $running in
	"${built%%[+~-]*}"|"${built%%[+~-]*}"[!0-9]*)
		! grep -q "afterburn: warning" /tmp/xl.out || { cat /tmp/xl.out; fail "$name: a version warning with xen $running, built from $built"; } ;;
	*)
		grep -F -q "afterburn: warning: this libxenguest's afterburn loader was built from xen $built, the hypervisor is xen $running" /tmp/xl.out ||
			{ cat /tmp/xl.out; fail "$name: no warning naming xen $built (built from) and $running (running)"; }
		[ $n -gt 0 ] || echo "E2E xl-refuse: the loader warns: built from xen $built, the hypervisor is xen $running" ;;
	esac
	n=$((n + 1))
done </ab/bad/expected
[ $n -ge 5 ] || fail "only $n images"
echo "E2E xl-refuse: PASS ($n bad images refused at create time, no domain left)"
