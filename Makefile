# pinscope build. Everything generated lands in $(OUTPUT); `make V=1` shows
# the commands. Binaries are static so they also run in a bare initramfs.
OUTPUT ?= .output
# vmlinux.h, BPF objects and skeletons: the sanitized build (san-build)
# is a second OUTPUT that shares the first one's.
GEN_OUTPUT ?= $(OUTPUT)
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := x86
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

CFLAGS ?= -O2 -g
# override: a CFLAGS given on the command line (san-build's) keeps these
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE
INCLUDES := -I$(GEN_OUTPUT) -Iinclude -Iuser
# Empty for the sanitized build: ASan's runtime does not link statically.
LDSTATIC ?= -static
# libevent's evhttp serves the exporter: it links statically, where
# libmicrohttpd drags in GnuTLS (p11-kit, libunistring: no static archives).
LDLIBS_TOOL := $(LDSTATIC) -lbpf -lelf -lz -lzstd -ljson-c -luring \
	-levent_extra -levent_pthreads -levent_core -lpthread
LDLIBS_WORKLOAD := $(LDSTATIC) -luring -ljson-c -lbpf -lelf -lz -lzstd -lpthread

# clang -target bpf does not see the host's asm/ headers; borrow gcc's
# system include list (the libbpf-bootstrap trick).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/*.h)
SKELS := $(patsubst bpf/%.bpf.c,$(GEN_OUTPUT)/%.skel.h,$(BPF_SRCS))

TOOL_SRCS := $(wildcard user/*.c)
TOOL_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(TOOL_SRCS))
# Everything but main.c is a library the unit tests link too.
TOOL_LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(TOOL_OBJS))

WL_SRCS := $(wildcard workloads/*.c)
WL_OBJS := $(patsubst workloads/%.c,$(OUTPUT)/workloads/%.o,$(WL_SRCS))

TEST_UNIT_SRCS := $(wildcard tests/unit/*.c)
TEST_RUNNER_SRCS := $(wildcard tests/runner/*.c)

BINS := $(OUTPUT)/pinscope $(OUTPUT)/pinscope-workload
TEST_BINS := $(OUTPUT)/pinscope-test $(OUTPUT)/unit-tests

.PHONY: all deps test-deps run test unit vmtest clean
all: deps $(BINS)

# Installs missing Debian packages (no-op when all are present).
deps:
	$(Q)tools/install-deps.sh build
test-deps:
	$(Q)tools/install-deps.sh test

# Every output waits for deps, so `make -j` never compiles before the
# compiler and bpftool are installed.
$(sort $(OUTPUT) $(GEN_OUTPUT)) $(OUTPUT)/user $(OUTPUT)/workloads $(OUTPUT)/tests: | deps
	$(Q)mkdir -p $@

# vmlinux.h comes from the running kernel's BTF at build time, never from git.
$(GEN_OUTPUT)/vmlinux.h: | $(GEN_OUTPUT)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(GEN_OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(GEN_OUTPUT)/vmlinux.h | $(GEN_OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
		$(INCLUDES) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(GEN_OUTPUT)/%.skel.h: $(GEN_OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/*.h) $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/pinscope: $(TOOL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_TOOL) -o $@

$(OUTPUT)/workloads/%.o: workloads/%.c $(wildcard workloads/*.h) | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iworkloads -c $< -o $@

$(OUTPUT)/pinscope-workload: $(WL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_WORKLOAD) -o $@

$(OUTPUT)/unit-tests: $(TEST_UNIT_SRCS) $(TOOL_LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests/unit $^ $(LDLIBS_TOOL) -o $@

$(OUTPUT)/pinscope-test: $(TEST_RUNNER_SRCS) $(wildcard tests/runner/*.h) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/runner $(TEST_RUNNER_SRCS) -static -ljson-c -o $@

# The main job: the per-ring report over every bundled workload case.
run: all
	$(Q)tools/run-all.sh $(OUTPUT)

# The whole suite: unit tests, then the exact-count suite once per available
# backend on this kernel and on each VM kernel (tools/vmtest.sh, Debian 6.1,
# 6.12 and 7.2 under qemu); a kernel x backend matrix at the end.
test: all test-deps $(TEST_BINS) bench-build san-build
	$(Q)tools/test.sh $(OUTPUT)

# The same suite in VM kernels only: make vmtest KERNEL=6.12 (default: all).
KERNEL ?= all
vmtest: all test-deps $(TEST_BINS)
	$(Q)tools/test.sh --no-host --kernels "$(KERNEL)" $(OUTPUT)

# The lifetime tests at full size (1,000,000 rings, 100,000 processes).
.PHONY: soak
soak: all test-deps $(TEST_BINS)
	$(Q)tools/soak.sh $(OUTPUT)

unit: $(OUTPUT)/unit-tests
	$(Q)$(OUTPUT)/unit-tests

# Benchmarks (tools/bench.sh, docs/bench-*.md). Each tools/bench/NAME.c is
# one static program .output/bench/NAME; files named NAME-PART.c are linked
# into NAME. Not part of `make test`, except the tiny bench-smoke run.
BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCH_BINS := $(patsubst tools/bench/%.c,$(OUTPUT)/bench/%,\
	$(foreach f,$(BENCH_SRCS),$(if $(findstring -,$(notdir $(f))),,$(f))))
LDLIBS_BENCH := -static -lbpf -lelf -lz -lzstd -luring -ljson-c -lm

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

# Sanitized twins of pinscope, pinscope-workload and unit-tests, and the
# libFuzzer targets (tests/fuzz/fuzz_*.c): the same sources built again by
# clang into $(SAN_OUTPUT), with ASan and UBSan (any report aborts:
# -fno-sanitize-recover) and libFuzzer's coverage instrumentation, linked
# dynamically. tools/test.sh runs them as its sanitizers and fuzz stages.
SAN_OUTPUT := $(OUTPUT)/asan
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fsanitize=fuzzer-no-link
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 300

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(FUZZ_BINS): $(OUTPUT)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(TOOL_LIB_OBJS) \
		| $(OUTPUT)/fuzz
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(INCLUDES) -Itests/fuzz $< $(TOOL_LIB_OBJS) \
		$(LDLIBS_TOOL) -o $@

.PHONY: san-deps san-build fuzz-bins sanitize fuzz
fuzz-bins: $(FUZZ_BINS)
san-deps:
	$(Q)tools/install-deps.sh san
san-build: san-deps $(SKELS)
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(SAN_OUTPUT) GEN_OUTPUT=$(GEN_OUTPUT) \
		CC=$(CLANG) CFLAGS="$(SAN_CFLAGS)" LDSTATIC= $(SAN_OUTPUT)/pinscope \
		$(SAN_OUTPUT)/pinscope-workload $(SAN_OUTPUT)/unit-tests fuzz-bins

# The sanitizers stage alone: unit tests and the host suite, sanitized.
sanitize: all test-deps $(OUTPUT)/pinscope-test san-build
	$(Q)tools/sanitize.sh $(OUTPUT)

# Each fuzz target for FUZZ_SECONDS (make test gives each a few seconds).
fuzz: san-build
	$(Q)tools/fuzz.sh --seconds $(FUZZ_SECONDS) $(SAN_OUTPUT)

.SECONDEXPANSION:
$(BENCH_BINS): $(OUTPUT)/bench/%: tools/bench/%.c $$(wildcard tools/bench/$$*-*.c) \
		$(wildcard tools/bench/*.h) $(SKELS) | $(OUTPUT)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT) -Iinclude -Itools/bench $(filter %.c,$^) \
		$(LDLIBS_BENCH) -o $@

.PHONY: bench bench-smoke bench-deps bench-build
bench-deps:
	$(Q)tools/install-deps.sh bench
bench-build: all $(BENCH_BINS)

# The full run: a few minutes, needs root; results under $(OUTPUT)/bench/.
bench: bench-deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)tools/bench.sh full $(OUTPUT)

# Under a minute: every stage once, tiny; non-zero only if the harness breaks.
bench-smoke: bench-deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)tools/bench.sh smoke $(OUTPUT)

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# make install/uninstall, man, deb, dist: tools/dist/dist.mk
include tools/dist/dist.mk
