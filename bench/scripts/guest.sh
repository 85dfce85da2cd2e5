#!/bin/sh
# Runs in the busybox guest initramfs (bare QEMU and PV domU), started by
# ci/xen/guest-init through ab.run=/bench.sh.  Kernel command-line words:
#   ab.bench=ID          configuration name recorded in the JSON
#   ab.bench.reps=N      repetitions (timing pass)
#   ab.bench.ms=MS       length of one repetition (timing pass)
#   ab.bench.pass=time   the timed suite (default)
#   ab.bench.pass=count  a short run bracketed with marker page faults for
#                        xentrace in dom0 (ab-bench -x)
#   ab.bench.only=A,B    only these benchmarks (ab-bench -l names)
#   ab.bench.wedge=1     (count pass, through the wedge) also print the
#                        wedge's counters around each benchmark (ab-bench -w)
# Ends with "AB-BENCH-DONE ID PASS", the marker bench/run waits for.
id=guest reps=11 ms=200 pass=time wedge= only=
for word in $(cat /proc/cmdline); do
	case $word in
	ab.bench=*) id=${word#*=} ;;
	ab.bench.reps=*) reps=${word#*=} ;;
	ab.bench.ms=*) ms=${word#*=} ;;
	ab.bench.pass=*) pass=${word#*=} ;;
	ab.bench.wedge=1) wedge=-w ;;
	ab.bench.only=*) only=$(echo "${word#*=}" | tr , ' ') ;;
	esac
done
dmesg -n 1 2>/dev/null	# keep kernel messages out of the JSON on the console
mkdir -p /tmp/ab-bench
mount -t tmpfs -o size=32m ab-bench /tmp/ab-bench 2>/dev/null	# the scratch file's home, as in dom0
case $pass in
count)
	/bin/ab-bench -m -x $wedge -c "$id:count" -n 1 -t 20 -s 1 -d /tmp/ab-bench $only
	;;
*)
	/bin/ab-bench -m -c "$id" -n "$reps" -t "$ms" -d /tmp/ab-bench $only
	;;
esac
echo "AB-BENCH-DONE $id $pass exit=$?"
