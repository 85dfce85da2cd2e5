# macro-traps.awk: the wedge traps of macro-mode code in objdump -d output,
# as "trap SECTION+0xBUNDLE KIND" lines, KIND = immediate - 0x1ab000.
/^Disassembly of section / { sec = $4; sub(/:$/, "", sec); next }
/break\.m 0x1ab0[0-9a-f][0-9a-f]/ {
	addr = $0; sub(/:.*/, "", addr); gsub(/ /, "", addr)
	hex = "0123456789abcdef"; v = 0
	for (i = 1; i <= length(addr); i++) v = v * 16 + index(hex, substr(addr, i, 1)) - 1
	imm = $0; sub(/.*break\.m 0x1ab0/, "", imm); imm = substr(imm, 1, 2)
	k = (index(hex, substr(imm, 1, 1)) - 1) * 16 + index(hex, substr(imm, 2, 1)) - 1
	printf "trap %s+0x%x %d\n", sec, v - v % 16, k
}
