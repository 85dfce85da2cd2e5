# Unit tests of the shared headers (include/afterburn, x86/sensitive.def).
$(eval $(call unit_test,annotation,$(O)/tests/unit/test-annotation.o,))
