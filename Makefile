# coinfer — one non-recursive Makefile. Everything lands under $(BUILD)/.
#
#   make            build build/coinfer (installs missing Debian packages first)
#   make test       build and run every test (layering, unit, integration, validation)
#   make run        run scenarios/default.xml with every policy and print them side by side
#   make bench      build and run the benchmarks, print their figures
#   make bench REF=<rev>  protocol and PHOLD side by side with revision <rev>, built apart
#   make bench QUICK=1    every benchmark with fewer repetitions (under 90 s each is the goal)
#   make asan       the test suite under AddressSanitizer + UBSan (build/asan/)
#   make asan-unit  the unit tests alone under AddressSanitizer + UBSan (what CI adds)
#   make unit       the unit tests alone
#   make valgrind   the unit tests under valgrind memcheck
#   make check      test, asan (both with the fuzz replay), then valgrind
#   make fuzz TARGET=t [SECONDS=n] [ENGINE=afl]  fuzz one loader (tests/fuzz/t.c)
#   make fuzz-all [SECONDS=n]  every fuzz target in turn, n seconds each
#   make coverage   line and branch coverage (gcov, lcov) of sim/ per folder, with floors
#                   (in $(BUILD)/coverage/)
#   make fuzz-coverage [TARGET=t]  lines and branches of each loader its fuzz corpus reaches
#   make install    install coinfer, its schemas, scenarios and models under $(PREFIX)
#   make clean      remove build/
#
# CI=true adds -Werror. Libraries come from pkg-config. MPI=1 compiles everything
# with mpicc (MPICC=...) and defines COINFER_MPI; it also builds tests/mpi/.

BUILD   ?= build
.DEFAULT_GOAL := all
PREFIX  ?= /usr/local
CC      ?= cc
CXX     ?= c++
SAN     ?=
MPI     ?= 0
MPICC   ?= mpicc
ifeq ($(filter 0 1,$(MPI)),)
$(error MPI must be 0 or 1, not '$(MPI)')
endif
ifeq ($(MPI),1)
CC      := $(MPICC)
endif
DEPS_OPTS := $(if $(filter 1,$(MPI)),--scaleout)

# --- configuration: packages, flags, version -------------------------------
# build/config.mk (compiler and linker flags from pkg-config) is regenerated on
# every invocation that builds something (after scripts/install-deps.sh has
# run) but only rewritten when it changes, so objects rebuild only when the
# flags do. The version (git describe) lives apart, in build/gen/version.h,
# rewritten only when it changes and included by sim/cli/main.c alone: a commit
# rebuilds one object and relinks.
NOCONFIG_GOALS := clean help deps fuzz fuzz-all fuzz-build fuzz-coverage coverage check
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(NOCONFIG_GOALS),$(MAKECMDGOALS)),)
SKIP_CONFIG := 1
endif
endif
ifndef SKIP_CONFIG
include $(BUILD)/config.mk
endif

$(BUILD)/config.mk: FORCE
	@scripts/install-deps.sh $(DEPS_OPTS)
	@mkdir -p $(BUILD)
	@MPI=$(MPI) MPICC='$(MPICC)' scripts/gen-config.sh > $@.tmp && { cmp -s $@.tmp $@ || mv $@.tmp $@; }; rm -f $@.tmp

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
ifeq ($(CI),true)
WARN     += -Werror
endif
OPT      ?= -O2
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
MPIFLAGS :=
ifeq ($(MPI),1)
MPIFLAGS := -DCOINFER_MPI
endif
SANFLAGS :=
ifneq ($(SAN),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
# The fuzz builds (make fuzz runs them as sub-makes in build/fuzz/<engine>/):
# everything instrumented for the engine and sanitized; each harness built with
# the engine's entry points (tests/fuzz/fuzz.h).
FUZZ_ENGINE ?=
ifeq ($(FUZZ_ENGINE),libfuzzer)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
FUZZ_ENGINE_FLAGS := -DFUZZ_LIBFUZZER -fsanitize=fuzzer
else ifeq ($(FUZZ_ENGINE),afl)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_ENGINE_FLAGS := -DFUZZ_AFL
else ifneq ($(FUZZ_ENGINE),)
$(error FUZZ_ENGINE must be libfuzzer or afl, not '$(FUZZ_ENGINE)')
endif
CFLAGS_ALL = $(CSTD) $(OPT) -g $(WARN) $(MPIFLAGS) $(SANFLAGS) -MMD -MP -Isim -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lpthread -lm

# --- sources ----------------------------------------------------------------
LIB_SRC  := $(sort $(filter-out sim/cli/%,$(wildcard sim/*/*.c sim/*/*/*.c)))
CLI_SRC  := $(sort $(wildcard sim/cli/*.c))
# The ONNX reader (sim/io/onnx_*.c) uses C code protoc-c generates at build time
# from Debian's onnx.proto (libonnx-dev) into $(BUILD)/gen/; never committed.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
ONNX_GEN_OBJ := $(BUILD)/obj/gen/onnx.pb-c.o
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(ONNX_GEN_OBJ)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libcoinfer.a
BIN      := $(BUILD)/coinfer

UNIT_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
VAL_SRC  := $(sort $(wildcard tests/validation/test_*.c))
VAL_BIN  := $(VAL_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_TARGETS := $(basename $(notdir $(FUZZ_SRC)))
# The replay drivers `make test` runs over the corpus and past crashes.
FUZZ_REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay/%)
# MPI programs (tests/mpi/test_*.c): built only with MPI=1, run under mpirun by
# tests/integration/test_mpi.sh (scripts/run-tests.sh does not run them itself).
MPI_TEST_SRC := $(sort $(wildcard tests/mpi/test_*.c))
MPI_TEST_BIN := $(if $(filter 1,$(MPI)),$(MPI_TEST_SRC:tests/%.c=$(BUILD)/tests/%))

.PHONY: all test test-programs unit check run bench asan asan-unit valgrind fuzz fuzz-all fuzz-build fuzz-coverage coverage \
        clean install deps help FORCE
all: $(BIN)

deps:
	@scripts/install-deps.sh $(DEPS_OPTS)

$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define COINFER_VERSION "%s"\n' \
	  "$$(git describe --always --dirty --tags 2>/dev/null || echo unknown)" > $@.tmp && \
	  { cmp -s $@.tmp $@ || mv $@.tmp $@; }; rm -f $@.tmp

# Quiet lines ("  CC  sim/core/engine.c"); `make V=1` prints every command whole.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2);
endif

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk | $(BUILD)/gen/version.h
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -c $< -o $@

# onnx.pb-c.c and .h come from one protoc-c run; the header waits for the .c.
$(BUILD)/gen/onnx.pb-c.c: $(ONNX_PROTO) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,PROTO,$<)cp $(ONNX_PROTO) $(BUILD)/gen/onnx.proto && \
	  cd $(BUILD)/gen && protoc-c --c_out=. onnx.proto
$(BUILD)/gen/onnx.pb-c.h: $(BUILD)/gen/onnx.pb-c.c
# Generated code: compiled without our warning flags (it is not ours to fix).
$(ONNX_GEN_OBJ): $(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CSTD) $(OPT) -g $(SANFLAGS) $(PKG_CFLAGS) -I$(BUILD)/gen -c $< -o $@
$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard sim/io/onnx*.c)): $(BUILD)/gen/onnx.pb-c.h

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LIBS_ALL)

# Each test file is one program; tests/<kind>/<sub>/test_x.c -> build/tests/...
# Its header dependencies (tests/*.h, sim/*) are tracked like the library's.
$(BUILD)/tests/%: tests/%.c $(LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -MF $@.d -MT $@ -Itests -o $@ $< $(LIB) $(LDFLAGS_ALL) \
	  $(LIBS_ALL) $(CMOCKA_LIBS)

# A fuzz harness (tests/fuzz/<t>.c) as a replay driver (reads the files it is
# given) or, in a FUZZ_ENGINE build, as that engine's target.
FUZZ_CFLAGS = -DFUZZ_SRC_DIR='"$(CURDIR)"' -Itests/fuzz
$(BUILD)/fuzz/replay/%: tests/fuzz/%.c $(LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(FUZZ_CFLAGS) -MF $@.d -MT $@ -o $@ $< $(LIB) \
	  $(LDFLAGS_ALL) $(LIBS_ALL)
$(BUILD)/fuzz/bin/%: tests/fuzz/%.c $(LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(FUZZ_CFLAGS) $(FUZZ_ENGINE_FLAGS) -MF $@.d -MT $@ \
	  -o $@ $< $(LIB) $(LDFLAGS_ALL) $(LIBS_ALL)

# An MPI test needs only Open MPI, not libcoinfer.a: it proves the MPI=1 toolchain.
ifeq ($(MPI),1)
$(BUILD)/tests/mpi/%: tests/mpi/%.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL)
endif

$(BUILD)/bench/%: tests/bench/%.c $(LIB) $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -MF $@.d -MT $@ -Itests -o $@ $< $(LIB) $(LDFLAGS_ALL) \
	  $(LIBS_ALL)

# The ns-3 reference PHOLD: built only where ns-3 is installed; never part of coinfer.
$(BUILD)/bench/ref/phold_ns3: tests/bench/ref/phold_ns3.cc
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 $$(pkg-config --cflags ns3-core gsl) -o $@ $< $$(pkg-config --libs ns3-core gsl)

# Every program the suite runs (make coverage builds them with --coverage).
test-programs: $(BIN) $(UNIT_BIN) $(VAL_BIN) $(BENCH_BIN) $(MPI_TEST_BIN) $(FUZZ_REPLAY_BIN)

test: test-programs
	@BUILD=$(BUILD) TEST_WRAPPER="$(TEST_WRAPPER)" scripts/run-tests.sh

# coinfer too: test_sweep_run runs its sweep's points with the build's own.
unit: $(BIN) $(UNIT_BIN)
	@BUILD=$(BUILD) TEST_WRAPPER="$(TEST_WRAPPER)" scripts/run-tests.sh --unit-only

# The shipped agent joins the other policies when it is there (scripts/train-agent.sh).
AGENT := models/agents/default.agent
run: $(BIN)
	$(BIN) run scenarios/default.xml --policy all $(if $(wildcard $(AGENT)),--agent $(AGENT))

bench: $(BIN) $(BENCH_BIN)
	@if pkg-config --exists ns3-core 2>/dev/null; then $(MAKE) --no-print-directory $(BUILD)/bench/ref/phold_ns3; fi
	@BUILD=$(BUILD) REF='$(REF)' QUICK='$(QUICK)' BENCH_CC='$(CC)' BENCH_OPT='$(OPT)' BENCH_CFLAGS='$(CFLAGS)' \
	  BENCH_LDFLAGS='$(LDFLAGS)' BENCH_SAN='$(SAN)' scripts/run-bench.sh

asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 test

# The unit programs alone, sanitized as make asan builds them (build/asan/, shared
# with it): what .ci/run adds to make test.
asan-unit:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 unit

valgrind: $(BIN) $(UNIT_BIN)
	@BUILD=$(BUILD) VALGRIND=1 TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
	  scripts/run-tests.sh --unit-only

# Everything a change must pass before it merges, one after the other (stops at
# the first failure): the suite with its fuzz replay (make test), the same under
# AddressSanitizer and UBSan with the replay sanitized too (make asan), and the
# unit programs under memcheck (make valgrind).
check:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind

# Fuzzing (tests/fuzz/, scripts/fuzz.sh): TARGET is one of $(FUZZ_TARGETS);
# ENGINE libfuzzer (clang) or afl (AFL++, afl-clang-fast); SECONDS (or FUZZ_S)
# per target. New corpus entries and crashes land under build/fuzz/.
ENGINE  ?= libfuzzer
FUZZ_S  ?= 600
SECONDS ?= $(FUZZ_S)
FUZZ_CC_libfuzzer := clang
FUZZ_CC_afl := afl-clang-fast
fuzz-build:
	@[ -n "$(filter $(TARGET),$(FUZZ_TARGETS))" ] || \
	  { echo "make fuzz: TARGET must be one of: $(FUZZ_TARGETS)" >&2; exit 2; }
	@[ -n "$(FUZZ_CC_$(ENGINE))" ] || \
	  { echo "make fuzz: ENGINE must be libfuzzer or afl" >&2; exit 2; }
	@scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz/$(ENGINE) FUZZ_ENGINE=$(ENGINE) \
	  CC=$(FUZZ_CC_$(ENGINE)) OPT=-O1 DEPS_OPTS=--fuzz build/fuzz/$(ENGINE)/fuzz/bin/$(TARGET)

fuzz: fuzz-build
	@scripts/fuzz.sh $(ENGINE) $(TARGET) $(SECONDS)

fuzz-all:
	@for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory fuzz TARGET=$$t ENGINE=$(ENGINE) SECONDS=$(SECONDS) || exit 1; \
	done

# How much of each loader the fuzz corpora reach (a figure, not a check).
fuzz-coverage:
	@scripts/install-deps.sh --coverage
	@$(MAKE) --no-print-directory BUILD=build/coverage OPT=-O0 DEPS_OPTS=--coverage \
	  CFLAGS='$(CFLAGS) --coverage' LDFLAGS='$(LDFLAGS) --coverage' \
	  $(FUZZ_TARGETS:%=build/coverage/fuzz/replay/%)
	@scripts/fuzz-coverage.sh $(TARGET)

# The coverage build lives in $(BUILD)/coverage/ (build/coverage/ by default).
# Counters are updated atomically (training runs threads), and every program
# is linked with tests/coverage/gcov_exit.c in place of _exit, so that the
# processes that end with _exit (a sweep's template and workers) keep their
# counts.
COV_BUILD := $(BUILD)/coverage
COV_EXIT  := $(COV_BUILD)/obj/tests/coverage/gcov_exit.o
coverage:
	@scripts/install-deps.sh --coverage
	@mkdir -p $(dir $(COV_EXIT)) && $(CC) -O0 -c tests/coverage/gcov_exit.c -o $(COV_EXIT)
	@$(MAKE) --no-print-directory BUILD=$(COV_BUILD) OPT=-O0 DEPS_OPTS=--coverage \
	  CFLAGS='$(CFLAGS) --coverage -fprofile-update=atomic' \
	  LDFLAGS='$(LDFLAGS) --coverage -Wl,--wrap=_exit $(abspath $(COV_EXIT))' test-programs
	@scripts/coverage.sh $(COV_BUILD)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/coinfer/scenarios \
	  $(DESTDIR)$(PREFIX)/share/coinfer/scenarios/studies $(DESTDIR)$(PREFIX)/share/coinfer/models \
	  $(DESTDIR)$(PREFIX)/share/coinfer/scenarios/profiles
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/coinfer
	install -m 644 scenarios/*.xml scenarios/schema.xsd scenarios/sweep.xsd \
	  $(DESTDIR)$(PREFIX)/share/coinfer/scenarios/
	install -m 644 scenarios/profiles/*.db $(DESTDIR)$(PREFIX)/share/coinfer/scenarios/profiles/
	install -m 644 scenarios/studies/*.xml $(DESTDIR)$(PREFIX)/share/coinfer/scenarios/studies/
	install -m 644 models/*.xml models/schema.xsd $(DESTDIR)$(PREFIX)/share/coinfer/models/

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,20p' Makefile | sed 's/^# \{0,1\}//'

FORCE:

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d) $(VAL_BIN:=.d) $(BENCH_BIN:=.d) \
  $(FUZZ_REPLAY_BIN:=.d) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/bin/%.d)
