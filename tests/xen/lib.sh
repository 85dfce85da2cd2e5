# Sourced by tests/xen/*.test: run ci/xen-run and check its verdict.
XEN_RUN=$AB_SRC/ci/xen-run
HANDPV=$AB_SRC/ci/xen/guests/handpv.cfg
if [ "$(id -u)" -ne 0 ] && ! [ -f "${AB_CACHE:-/var/cache/afterburner}/xen/manifest" ]; then
	echo "skip: fetching the Xen and kernel packages into the cache needs root once"
	exit 77
fi

# xen_run OUT ARGS...: run the harness; $verdict is its last stdout line, $rc its status.
xen_run() {
	out=$1
	shift
	"$XEN_RUN" --out "$out" "$@" >"$out.stdout"
	rc=$?
	cat "$out.stdout"
	verdict=$(tail -n 1 "$out.stdout")
}

# expect_fail REASON: the run failed for REASON, said so, and left logs.
expect_fail() {
	if [ "$rc" -ne 1 ]; then
		echo "expected exit 1 (FAIL $1), got $rc: $verdict"
		exit 1
	fi
	case $verdict in
	"xen-run: FAIL $1: "*) echo "ok: failed for the expected reason: $verdict" ;;
	*) echo "expected 'xen-run: FAIL $1: ...', got: $verdict"; exit 1 ;;
	esac
	[ -s "$out/verdict" ] || { echo "missing $out/verdict"; exit 1; }
	[ -e "$out/serial.log" ] || { echo "missing $out/serial.log"; exit 1; }
}
