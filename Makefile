# holdfast — plain GNU make + pkg-config.
#   make            build build/holdfast and build/holdfast-decoders.so (optimised); also checks the layer order (scripts/check-layers.sh)
#   make install    both and the man page under PREFIX (/usr/local): bin/, lib/holdfast/, share/man/
#   make quick      the development tier: plain build, unit tests, the fast CLI scripts (~2 min)
#   make test-https the CLI scenario scripts (tests/cli/01-39) again, each against a repository on a
#                   real holdfast server (HF_TEST_REPO_KIND=https, tests/cli/lib.sh)
#   make test       everything CI runs: both builds, unit + CLI tests, the S3 store on a real RGW (last line:
#                   N passed, N failed, N skipped), `analyze`, `tsan`, `format-check` (FORMAT_CHECK=0 skips it)
#   make test-s3    the store contract suite, tests/cli/47-s3.sh, 60-s3-lock.sh and 61-serve-s3.sh against a real Ceph RGW that
#                   tests/run.sh s3 starts on loopback (../shared/s3; installs radosgw on first use)
#   make SAN=1 ...  AddressSanitizer + UndefinedBehaviorSanitizer build in build-san/
#   make TSAN=1 ... ThreadSanitizer build in build-tsan/ (`make tsan` builds and runs it)
#   make analyze    gcc -fanalyzer over lib/ and src/ (scripts/analyze.sh)
#   make format-check  lists the files clang-format (.clang-format) would change; `make fmt` changes them
#   make bench      side-by-side benchmark against restic and borg (bench/)
#   make bench-scale   holdfast beside restic on 100,000 and 1,000,000 small files (bench/scale.sh)
#   make bench-report  the cost of holdfast report on the bench corpus after an attack (bench/report.sh)
#   make bench-watch   holdfast watch: benign workloads' slowdown, the watcher's CPU and RSS, detection latency (root; bench/watch.sh)

CC      ?= cc
PKGS    := libsodium libzstd libcrypto zlib libdeflate liblzma libseccomp libmicrohttpd libcurl expat
# the parsers of other formats, in holdfast-decoders.so (lib/decoders/, detect/decoders.h):
# the executable does not link them, so a command that parses nothing does not load them
DECODER_PKGS := libmagic libzip libpng libjpeg sqlite3 libqpdf libmpg123 expat zlib poppler-glib gmime-3.0
# lib/util/banned.h is force-included first in every file: it makes atoi, strcpy,
# sprintf & co. compile errors (the header says why it is included this way)
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Ilib -include lib/util/banned.h $(shell pkg-config --cflags $(PKGS))
LIBS    := $(shell pkg-config --libs $(PKGS)) -lbz2 -lm -lpthread
DECODER_LIBS := $(shell pkg-config --libs $(DECODER_PKGS))

ifeq ($(SAN),1)
BUILD   := build-san
CFLAGS_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
else ifeq ($(TSAN),1)
BUILD   := build-tsan
CFLAGS_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS_SAN := -fsanitize=thread
else
BUILD   := build
CFLAGS_OPT := -O2 -g
endif
ifeq ($(WERROR),1)
CFLAGS_OPT += -Werror
endif
CFLAGS  += $(CFLAGS_BASE) $(CFLAGS_OPT)
LDFLAGS += $(LDFLAGS_SAN) -Wl,--as-needed

# Library modules in layer order (each may use only those before it). decoders, last, is
# not in libholdfast.a: it is the shared object holdfast-decoders.so, which the library opens
# through detect/decoders.h (the unit tests link it instead).
LIB_MODULES := util crypto compress chunker detect fs store repo scan engine report watch server
MODULES := $(LIB_MODULES) decoders
LIB_SRC := $(foreach m,$(LIB_MODULES),$(wildcard lib/$(m)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
DEC_SRC := $(wildcard lib/decoders/*.c)
DEC_OBJ := $(DEC_SRC:%.c=$(BUILD)/%.o)
DEC_PIC := $(DEC_SRC:%.c=$(BUILD)/pic/%.o)
CLI_SRC := $(wildcard src/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all install test test-https test-s3 quick unit cli clean bench bench-scale bench-server bench-s3 bench-report bench-watch compare fmt format-check analyze tsan layers
all: $(BUILD)/holdfast $(BUILD)/holdfast-decoders.so $(UNIT_BIN) $(BUILD)/layers.ok

# the layer order of MODULES, checked whenever a library file changes
$(BUILD)/layers.ok: scripts/check-layers.sh Makefile $(wildcard lib/*/*.[ch])
	@mkdir -p $(dir $@)
	scripts/check-layers.sh $(MODULES)
	@touch $@
layers:
	scripts/check-layers.sh $(MODULES)

$(BUILD)/lib/decoders/%.o $(BUILD)/pic/lib/decoders/%.o: CFLAGS += $(shell pkg-config --cflags $(DECODER_PKGS))
# the shared object exports its table only (lib/decoders/table.c)
$(BUILD)/pic/%.o: CFLAGS += -fPIC -fvisibility=hidden

# test fixtures build objects in buffers whose limits they chose themselves
$(BUILD)/tests/unit/%.o: CFLAGS += -Wno-unused-result

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libholdfast.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/holdfast: $(CLI_OBJ) $(BUILD)/libholdfast.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libholdfast.a $(LIBS)

# make install [PREFIX=/usr/local] [DESTDIR=]: the executable, its decoders where it looks for
# them (../lib/holdfast/ from the executable's directory), the man page
PREFIX ?= /usr/local
install: $(BUILD)/holdfast $(BUILD)/holdfast-decoders.so
	install -D -m 0755 $(BUILD)/holdfast $(DESTDIR)$(PREFIX)/bin/holdfast
	install -D -m 0644 $(BUILD)/holdfast-decoders.so $(DESTDIR)$(PREFIX)/lib/holdfast/holdfast-decoders.so
	install -D -m 0644 docs/man/holdfast.1 $(DESTDIR)$(PREFIX)/share/man/man1/holdfast.1

# -z defs: every symbol it uses is its own or its libraries'
$(BUILD)/holdfast-decoders.so: $(DEC_PIC)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -o $@ $(DEC_PIC) $(DECODER_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libholdfast.a $(DEC_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(DEC_OBJ) $(BUILD)/libholdfast.a $(LIBS) $(DECODER_LIBS)

# the whole suite: optimised build, then again under ASan+UBSan, the format
# check (FORMAT_CHECK=0 skips it), the static analysis and the ThreadSanitizer
# run; then the CLI scenarios again against a server, and the S3 store against
# a real Ceph RGW (make test-s3 with the plain build only: about 80 s, plus
# about 20 s to install radosgw the first time).
# Each step's start is stamped (UTC) so a slow CI run says where its time went.
STAMP = @echo "== $$(date -u +%T) make test:"
test:
	$(STAMP) builds
	$(MAKE) -j2 all WERROR=1
	$(MAKE) -j2 SAN=1 all WERROR=1
ifneq ($(FORMAT_CHECK),0)
	$(MAKE) format-check
endif
	$(STAMP) analyze
	$(MAKE) analyze
	$(STAMP) tsan
	$(MAKE) tsan
	$(STAMP) unit, CLI and fuzz tests
	HF_BUILDS="build build-san" tests/run.sh
	$(STAMP) CLI tests through a server
	HF_BUILD=build tests/run.sh cli-https
	$(STAMP) S3
	HF_BUILD=build tests/run.sh s3
	$(STAMP) done

# the development tier: plain build, unit tests and the fast CLI scripts
quick:
	$(MAKE) -j2 all
	HF_BUILD=build tests/run.sh quick

# ThreadSanitizer: the unit tests that start threads, then one CLI
# backup + restore + check (tests/cli/01), on the build in build-tsan/
TSAN_UNITS := test_util test_store test_repo test_scan test_scan_changes test_transfer_pool test_store_faults
tsan:
	$(MAKE) -j2 TSAN=1 all WERROR=1
	scripts/tsan.sh build-tsan $(TSAN_UNITS)

# gcc -fanalyzer over lib/ and src/; findings not in scripts/analyze.supp fail
analyze:
	scripts/analyze.sh

format-check:
	scripts/check-format.sh

unit: $(UNIT_BIN)
	HF_BUILD=$(BUILD) tests/run.sh unit

cli: $(BUILD)/holdfast
	HF_BUILD=$(BUILD) tests/run.sh cli

# the CLI scenarios with their repositories on a server (issue 9): plain build
test-https:
	$(MAKE) -j2 all
	HF_BUILD=build tests/run.sh cli-https

# an S3 repository on a real Ceph RGW (issue 10), started and stopped by tests/run.sh s3;
# both builds (about a minute and a half once radosgw is installed)
test-s3:
	$(MAKE) -j2 all
	$(MAKE) -j2 SAN=1 all
	HF_BUILDS="build build-san" tests/run.sh s3

bench: $(BUILD)/holdfast
	bench/run.sh

bench-scale: $(BUILD)/holdfast
	bench/scale.sh

bench-server: $(BUILD)/holdfast
	bench/server.sh

# holdfast (Object Lock bucket) vs restic on one real Ceph RGW: times and requests per GB
bench-s3: $(BUILD)/holdfast
	bench/s3.sh

bench-report: $(BUILD)/holdfast
	bench/report.sh

bench-watch: $(BUILD)/holdfast
	HOLDFAST=$(BUILD)/holdfast bench/watch.sh

# restic + rclone serve restic --append-only vs holdfast serve, the same attacks (slow; needs rclone, restic)
compare: $(BUILD)/holdfast
	HF_BIN=$(BUILD)/holdfast tests/compare/restic-append-only.sh

fmt:
	clang-format -i lib/*/*.[ch] src/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build build-san build-tsan build-analyze

-include $(LIB_OBJ:.o=.d) $(DEC_OBJ:.o=.d) $(DEC_PIC:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
