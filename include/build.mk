# Interfaces shared between components; installed for out-of-tree users.
INSTALL_INCLUDE += $(SRC)/include/afterburn/annotation.h
