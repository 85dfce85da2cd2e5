// One sample per kind of ia64/sensitive.def: "KIND<TAB>instruction".
// Read by tests/ia64/table.test; predicates vary on purpose.
RFI	rfi
COVER	cover
RSM	(p6) rsm psr.i | psr.ic
SSM	(p7) ssm psr.ic
SUM	sum 0x4
RUM	rum 0x4
MOV_TO_PSR_L	mov psr.l=r9
MOV_FROM_PSR	(p6) mov r9=psr
MOV_TO_PSR_UM	mov psr.um=r9
MOV_FROM_PSR_UM	mov r9=psr.um
MOV_TO_CR	(p6) mov cr.ifa=r9
MOV_FROM_CR	(p7) mov r9=cr.ifa
MOV_TO_RR	mov rr[r10]=r9
MOV_FROM_RR	mov r9=rr[r10]
MOV_TO_PKR	mov pkr[r10]=r9
MOV_FROM_PKR	mov r9=pkr[r10]
MOV_TO_IBR	mov ibr[r10]=r9
MOV_FROM_IBR	mov r9=ibr[r10]
MOV_TO_DBR	mov dbr[r10]=r9
MOV_FROM_DBR	mov r9=dbr[r10]
MOV_TO_PMC	mov pmc[r10]=r9
MOV_FROM_PMC	mov r9=pmc[r10]
MOV_TO_PMD	mov pmd[r10]=r9
MOV_FROM_PMD	mov r9=pmd[r10]
ITC_I	itc.i r9
ITC_D	(p6) itc.d r9
ITR_I	itr.i itr[r10]=r9
ITR_D	itr.d dtr[r10]=r9
PTC_L	ptc.l r9,r10
PTC_G	ptc.g r9,r10
PTC_GA	ptc.ga r9,r10
PTC_E	ptc.e r9
PTR_I	ptr.i r9,r10
PTR_D	ptr.d r9,r10
THASH	thash r9=r10
TTAG	ttag r9=r10
TPA	(p6) tpa r9=r10
TAK	tak r9=r10
FC	fc r9
FC_I	fc.i r9
PROBE	probe.rw.fault r10,2
BSW_0	bsw.0
BSW_1	bsw.1
MOV_TO_KR	mov ar.k3=r9
MOV_FROM_KR	(p6) mov r9=ar.k3
MOV_FROM_ITC	mov r9=ar.itc
MOV_TO_ITC	mov ar.itc=r9
EPC	epc
BREAK	break.i 0x80000
MOV_FROM_CPUID	mov r9=cpuid[r10]
MOV_TO_MSR	mov msr[r10]=r9
MOV_FROM_MSR	mov r9=msr[r10]
