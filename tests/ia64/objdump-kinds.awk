# objdump-kinds.awk: the sensitive instructions of `ia64-linux-gnu-objdump -d`
# output, as "found SECTION+0xBUNDLE slot N KIND" lines: an oracle built on
# binutils' own IA-64 decoder, independent of ia64/sensitive.def's encodings.
# Kinds by mnemonic and operands, from the architecture manual's names.
function kind_of(m, ops,    d, s, eq) {
	if (m == "rfi") return "RFI"
	if (m == "cover") return "COVER"
	if (m == "bsw.0") return "BSW_0"
	if (m == "bsw.1") return "BSW_1"
	if (m == "epc") return "EPC"
	if (m ~ /^break\.[mibfx]$/) return "BREAK"
	if (m == "rsm") return "RSM"
	if (m == "ssm") return "SSM"
	if (m == "sum") return "SUM"
	if (m == "rum") return "RUM"
	if (m ~ /^(itc|itr|ptc|ptr)\./ || m ~ /^(thash|ttag|tpa|tak|fc|fc\.i)$/) {
		k = toupper(m); gsub(/\./, "_", k); return k
	}
	if (m ~ /^probe\./) return "PROBE"
	if (m != "mov" && m != "mov.m" && m != "mov.i") return ""
	eq = index(ops, "="); if (!eq) return ""
	d = substr(ops, 1, eq - 1); s = substr(ops, eq + 1)
	if (d == "psr.l") return "MOV_TO_PSR_L"
	if (d == "psr.um") return "MOV_TO_PSR_UM"
	if (s == "psr") return "MOV_FROM_PSR"
	if (s == "psr.um") return "MOV_FROM_PSR_UM"
	if (d ~ /^cr\./) return "MOV_TO_CR"
	if (s ~ /^cr\./) return "MOV_FROM_CR"
	if (d ~ /^ar\.k[0-7]$/) return "MOV_TO_KR"
	if (s ~ /^ar\.k[0-7]$/) return "MOV_FROM_KR"
	if (d == "ar.itc") return "MOV_TO_ITC"
	if (s == "ar.itc") return "MOV_FROM_ITC"
	if (s ~ /^cpuid\[/) return "MOV_FROM_CPUID"
	split("rr pkr ibr dbr pmc pmd msr", f, " ")
	for (i = 1; i <= 7; i++) {
		if (index(d, f[i] "[") == 1) return "MOV_TO_" toupper(f[i])
		if (index(s, f[i] "[") == 1) return "MOV_FROM_" toupper(f[i])
	}
	return ""
}
/^Disassembly of section / { sec = $4; sub(/:$/, "", sec); next }
/^ *[0-9a-f]+:\t/ {
	line = $0
	addr = line; sub(/:.*/, "", addr); gsub(/ /, "", addr)
	n = split(line, parts, "\t")
	text = parts[n]
	if (n < 3 || text == "") next
	sub(/^ *\[[A-Z]+\] */, "", text); sub(/^ */, "", text)
	sub(/^\(p[0-9]+\) */, "", text)
	sub(/;;$/, "", text)
	m = text; sub(/ .*/, "", m)
	ops = text; if (!sub(/^[^ ]+ +/, "", ops)) ops = ""
	gsub(/ /, "", ops)
	k = kind_of(m, ops)
	if (k == "") next
	# objdump prints slots at bundle+0, +6, +0xc
	low = substr(addr, length(addr)); 
	v = 0; hex = "0123456789abcdef"
	for (i = 1; i <= length(addr); i++) v = v * 16 + index(hex, substr(addr, i, 1)) - 1
	slot = v % 16 == 0 ? 0 : (v % 16 == 6 ? 1 : 2)
	printf "found %s+0x%x slot %d %s\n", sec, v - v % 16, slot, k
}
