# holdfast — plain GNU make + pkg-config.
#   make            build build/holdfast (optimised)
#   make test       unit tests + CLI scenario tests (last line: N passed, N failed)
#   make SAN=1 ...  AddressSanitizer + UndefinedBehaviorSanitizer build in build-san/
#   make bench      side-by-side benchmark against restic and borg (bench/)

CC      ?= cc
PKGS    := libsodium libzstd libcrypto libmagic libzip zlib liblzma libpng libjpeg sqlite3 libqpdf
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Ilib $(shell pkg-config --cflags $(PKGS))
LIBS    := $(shell pkg-config --libs $(PKGS)) -lbz2 -lm -lpthread

ifeq ($(SAN),1)
BUILD   := build-san
CFLAGS_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
else
BUILD   := build
CFLAGS_OPT := -O2 -g
endif
ifeq ($(WERROR),1)
CFLAGS_OPT += -Werror
endif
CFLAGS  += $(CFLAGS_BASE) $(CFLAGS_OPT)
LDFLAGS += $(LDFLAGS_SAN) -Wl,--as-needed

# Library modules in layer order (each may use only those before it).
MODULES := util crypto compress chunker detect fs store repo scan engine
LIB_SRC := $(foreach m,$(MODULES),$(wildcard lib/$(m)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC := $(wildcard src/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit cli clean bench fmt
all: $(BUILD)/holdfast $(UNIT_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libholdfast.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/holdfast: $(CLI_OBJ) $(BUILD)/libholdfast.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libholdfast.a $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libholdfast.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libholdfast.a $(LIBS)

# the whole suite: optimised build, then again under ASan+UBSan
test:
	$(MAKE) -j2 all WERROR=1
	$(MAKE) -j2 SAN=1 all WERROR=1
	HF_BUILDS="build build-san" tests/run.sh

unit: $(UNIT_BIN)
	HF_BUILD=$(BUILD) tests/run.sh unit

cli: $(BUILD)/holdfast
	HF_BUILD=$(BUILD) tests/run.sh cli

bench: $(BUILD)/holdfast
	bench/run.sh

fmt:
	clang-format -i lib/*/*.[ch] src/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build build-san

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
