#!/bin/sh
# dom0's side of tests/wedge/net.test: the bridge with an address, the
# guest, pings to it, a TCP transfer each way (sha256 on both sides).
# MB: transfer size.
set -u
MB=${1:-4}
log=/var/log/xen/console/guest-linuxnet.log
brctl addbr xenbr0 && ip addr add 10.0.0.1/24 dev xenbr0 && ip link set xenbr0 up || exit 1
xl create /ab/linuxnet.cfg 'on_crash="preserve"' || exit 1
echo "AB-NET dom0: $(xenstore-read /local/domain/$(xl domid linuxnet)/device/vif/0/state 2>&1) (frontend state)"
# the guest says when its pings are done and it listens on port 5000
i=0
while ! grep -q 'AB-NET-LISTEN' "$log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ]; then echo "AB-NET dom0: the guest never listened"; tail -n 30 "$log"; exit 1; fi
	sleep 1
done
be=/local/domain/0/backend/vif/$(xl domid linuxnet)/0
echo "AB-NET dom0: backend state $(xenstore-read $be/state)"
echo "AB-NET dom0-ping: $(ping -c 100 -i 0.05 10.0.0.2 | grep 'packets transmitted')"
echo "AB-NET dom0-ping-1472: $(ping -c 10 -s 1472 10.0.0.2 | grep 'packets transmitted')"
# busybox nc -l also sends its stdin, and ends the connection at its EOF:
# give it a FIFO this script holds open
mkfifo /tmp/hold
(nc -l -p 5001 </tmp/hold | tee /tmp/rx | sha256sum | cut -d' ' -f1 >/tmp/rx.sha) &
exec 3>/tmp/hold
dd if=/dev/urandom of=/tmp/blob bs=1M count="$MB" 2>/dev/null
echo "AB-NET dom0-sent-sha $(sha256sum /tmp/blob | cut -d' ' -f1)"
start=$(date +%s)
nc 10.0.0.2 5000 </tmp/blob || echo "AB-NET dom0: nc to the guest failed"
echo "AB-NET dom0: sent $MB MiB in $(( $(date +%s) - start )) s"
# the guest's transfer ends the listener; bounded: the guest may be gone
i=0
while [ ! -s /tmp/rx.sha ] && [ $i -lt 1200 ]; do
	sleep 1
	i=$((i + 1))
done
sleep 1
echo "AB-NET dom0-received-sha $(cat /tmp/rx.sha) ($(wc -c </tmp/rx) bytes)"
rm -f /tmp/rx
[ -s /tmp/rx.sha ] || kill $! 2>/dev/null
# xl network-detach / network-attach, $ROUNDS times: the link goes down
# and up in the guest, traffic resumes each time
ROUNDS=${2:-3}
# xl under QEMU's TCG sometimes dies in ld.so before it does anything
# ("Inconsistency detected by ld.so", the harness's xl create has the same
# allowance): only then is the command run once more
xl_once_more() {
	timeout 60 xl "$@" >/tmp/xl.out 2>&1 && return 0
	cat /tmp/xl.out
	grep -q 'Inconsistency detected by ld.so' /tmp/xl.out || return 1
	echo "AB-NET dom0: xl died in ld.so: once more"
	timeout 60 xl "$@"
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	xl_once_more network-detach linuxnet 0 || { echo "AB-NET dom0: network-detach $r failed"; break; }
	xl_once_more network-attach linuxnet bridge=xenbr0 mac=00:16:3e:00:00:02 script=/ab/vif-bridge-sh ||
		{ echo "AB-NET dom0: network-attach $r failed"; break; }
	# the guest's driver brings its queue up when it sees the link: wait for it
	i=0
	while ! ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 120 ] || break
	done
	echo "AB-NET dom0-reattach $r: $(ping -c 10 -i 0.05 10.0.0.2 | grep 'packets transmitted')"
done
echo bye | nc 10.0.0.2 5002
grep vif /proc/net/dev | sed "s/^/AB-NET dom0 vif: /"
dmesg | grep -iE 'xen-netback|vif' | tail -n 5 | sed 's/^/AB-NET dom0 dmesg: /'
exit 0
