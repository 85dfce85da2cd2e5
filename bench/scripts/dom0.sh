#!/bin/sh
# Runs in dom0 (ci/xen-run --dom0-cmd), from /ab:
#   dom0.sh suite ID REPS MS   the timed suite in dom0, then a short count
#                              pass under xentrace; prints both JSON documents
#                              and the counts between marker lines
#   dom0.sh trace-start ID     start xentrace | ab-xtcount in the background
#   dom0.sh trace-stop ID      stop it and print the counts
#   dom0.sh show-log NAME      print domain NAME's console log (a second copy
#                              of what the harness relays line by line)
# xentrace records Xen's PV events (class TRC_PV: hypercalls, traps, page
# faults, emulations) and the scheduler's switches (TRC_SCHED, verbose: which
# domain runs where), mask 0x0022b000; ab-xtcount counts the measured
# domain's events between the marker page faults of `ab-bench -x`.  Tracing is off during timing passes: it slows Xen down.
set -u
bin=/ab/bin
# A tmpfs of its own: dom0's rootfs is the initramfs, nearly full (tmpfs'
# default limit is half the memory, and the initramfs holds the kernels).
state=/run/ab-bench
if [ ! -d "$state" ]; then
	mkdir -p "$state"
	mount -t tmpfs -o size=32m ab-bench "$state" || echo "bench: no tmpfs for $state (using the rootfs)"
fi

quiet_console() {
	# Kernel messages would land inside the JSON lines on the console.
	read -r level _ </proc/sys/kernel/printk
	echo "$level" >"$state/printk"
	dmesg -n 1
}
restore_console() {
	[ -f "$state/printk" ] && dmesg -n "$(cat "$state/printk")"
}

trace_start() {
	rm -f "$state/fifo" "$state/$1.xt.json"
	mkfifo "$state/fifo"
	"$bin/ab-xtcount" <"$state/fifo" >"$state/$1.xt.json" 2>"$state/xtcount.err" &
	echo $! >"$state/xtcount.pid"
	xentrace -D -S 1024 -e 0x0022b000 "$state/fifo" 2>"$state/xentrace.err" &
	echo $! >"$state/xentrace.pid"
	sleep 2	# tracing is on once xentrace has mapped the buffers
	if ! kill -0 "$(cat "$state/xentrace.pid")" 2>/dev/null; then
		echo "bench: xentrace did not start: $(cat "$state/xentrace.err")"
		return 1
	fi
}

trace_stop() {
	kill -INT "$(cat "$state/xentrace.pid")" 2>/dev/null
	i=0
	while kill -0 "$(cat "$state/xtcount.pid")" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "bench: ab-xtcount still running after 20s"; return 1; }
		sleep 0.2
	done
	[ -s "$state/xentrace.err" ] && sed 's/^/bench: xentrace: /' "$state/xentrace.err" | tail -n 5
	[ -s "$state/xtcount.err" ] && sed 's/^/bench: ab-xtcount: /' "$state/xtcount.err" | tail -n 5
	echo "=== ab-xtcount json begin $1 ==="
	cat "$state/$1.xt.json"
	echo "=== ab-xtcount json end ==="
}

case ${1:-} in
suite)
	id=$2 reps=$3 ms=$4
	quiet_console
	"$bin/ab-bench" -m -c "$id" -n "$reps" -t "$ms" -d "$state"
	rc=$?
	if trace_start "$id"; then
		"$bin/ab-bench" -m -x -c "$id:count" -n 1 -t 20 -s 1 -d "$state"
		trace_stop "$id"
	fi
	restore_console
	exit $rc
	;;
trace-start)
	quiet_console
	trace_start "$2"
	;;
trace-stop)
	trace_stop "$2"
	rc=$?
	restore_console
	exit $rc
	;;
show-log)
	quiet_console
	echo "=== domain console begin $2 ==="
	cat "/var/log/xen/console/guest-$2.log"
	echo "=== domain console end ==="
	restore_console
	;;
*)
	echo "usage: dom0.sh suite ID REPS MS | trace-start ID | trace-stop ID | show-log NAME" >&2
	exit 2
	;;
esac
