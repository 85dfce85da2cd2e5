#!/bin/sh
# In dom0 (ci/xen-run, from tests/domtools/hostile-cost.test): ab-create's
# real build (the hypercalls, the boot bundle written into the domain's
# pages) of the 64 MiB max-work image /ab/hostile.img under GNU time
# (/ab/time), the domain left paused (the wedge never runs: it would
# refuse 4 million call sites), then destroyed.  The host checks the
# figures in the HOSTILE lines.
set -u
fail() { echo "HOSTILE FAIL: $*"; xl list; exit 1; }
/ab/time -v -o /tmp/hostile.time ab-create -w /ab/wedge -m "$1" -p -n ab-hostile /ab/hostile.img \
	>/tmp/hostile.out 2>&1
rc=$?
sed 's/^/HOSTILE [ab-create] /' /tmp/hostile.out
grep -E 'User time|System time|Elapsed|Maximum resident' /tmp/hostile.time | sed 's/^/HOSTILE [time] /'
[ $rc -eq 0 ] || fail "ab-create exited $rc"
xl list | grep -q '^ab-hostile ' || fail "xl list does not show ab-hostile"
xl destroy ab-hostile || fail "xl destroy ab-hostile"
xl list | grep -q '^ab-hostile ' && fail "ab-hostile still listed after xl destroy"
echo "HOSTILE: PASS"
