#!/bin/sh
# dom0's side of tests/wedge/linux-defconfig.slow.test: the bridge for the
# guest's vif, then the guest (CFG: the xl config, MEM: its memory in MiB).
set -u
cfg=$1 mem=$2
brctl addbr xenbr0 && ip addr add 10.0.0.1/24 dev xenbr0 && ip link set xenbr0 up || exit 1
xl create "$cfg" "memory=$mem" 'on_crash="preserve"'
