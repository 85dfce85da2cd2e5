# site-forms.awk: checks that every rewritten site disassembles to its
# loaded form.  Inputs: the `ab-check-ia64 --list` lines ("site
# SECTION+0xOFF slot N KIND FORM"), then `objdump -d` of the rewritten
# object.  Prints one FAIL line (with the site's disassembly) per site
# whose instructions do not match, and "checked N" at the end.
function hexval(h,    i, v) {
	v = 0; h = tolower(h); sub(/^0x/, "", h)
	for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}
FNR == NR {
	if ($1 != "site") next
	split($2, p, "+")
	key = p[1] SUBSEP hexval(p[2])
	form[key] = $NF; kind[key] = $(NF - 1); where[key] = $2
	text[key] = ""
	nsites++
	next
}
/^Disassembly of section / { sec = $4; sub(/:$/, "", sec); next }
/^ *[0-9a-f]+:\t/ {
	a = $0; sub(/:.*/, "", a); gsub(/ /, "", a)
	v = hexval(a); b = v - v % 16
	k = sec SUBSEP b
	if (!(k in form)) { k = sec SUBSEP (b - 16); if (!(k in form)) next }
	n = split($0, f, "\t")
	if (n >= 3) text[k] = text[k] "\n" f[n]
}
END {
	for (k in form) {
		t = text[k]; ok = 0
		if (form[k] == "load")
			ok = t ~ /movl r[0-9]+=0xa0000000000/ && t ~ /ld8 r[0-9]+=\[r[0-9]+\]/
		else if (form[k] == "store")
			ok = t ~ /mov\.m ar\.csd=r(2|3|14)/ && t ~ /movl r(2|3|14)=0xa0000000000/ &&
			     t ~ /st[128] \[r(2|3|14)\]=/ && t ~ /mov\.m r(2|3|14)=ar\.csd/
		else if (form[k] == "trap")
			ok = t ~ /break\.m 0x1ab0[0-9a-f][0-9a-f]/
		if (form[k] == "load") {
			# the movl target is the ld8's base and destination
			if (match(t, /movl r[0-9]+=/)) {
				r = substr(t, RSTART + 5, RLENGTH - 6)
				ok = ok && index(t, "ld8 " r "=[" r "]")
			}
		}
		if (!ok) { printf "FAIL site %s %s (%s) disassembles to:%s\n", where[k], kind[k], form[k], t; bad++ }
		checked++
	}
	printf "checked %d\n", checked
	exit bad ? 1 : 0
}
