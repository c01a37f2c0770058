# sqlite-embed — build, test and benchmark.
#   make            build/embed0.so (load with `.load ./build/embed0`)
#   make deps       install the Debian packages everything needs
#   make test       every test; closes with "N passed, N failed"
#   make bench      benchmarks (see bench/README.md)
#   make bench-smoke  a quick benchmark run without peers, checked for every section
# OpenBLAS is not linked: the engine's matrix products run on its own packed
# kernels (engine/kernels.c, attention.c), faster here than OpenBLAS's sgemm,
# and a linked OpenBLAS starts a process-wide thread pool whose threads spin
# on the host's cores.  bench/ still builds its sgemm reference against it.
PKGS      := jansson libutf8proc
CC        ?= cc
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
WARN      := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Hidden by default: the .so exports only its entry point, so its internals
# cannot clash with another extension or library in the same process.
ALL_CFLAGS = $(WARN) $(CFLAGS) $(PKG_CFLAGS) -fPIC -fvisibility=hidden $(EXTRA_CFLAGS)
LDLIBS     = $(PKG_LIBS) -lpthread -lm

BUILD     ?= build
TOKENIZER_SRC := $(wildcard tokenizer/*.c)
ENGINE_SRC    := $(wildcard engine/*.c)
EXT_SRC       := $(wildcard ext/*.c)
CORE_SRC      := $(TOKENIZER_SRC) $(ENGINE_SRC)
CORE_OBJ      := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
EXT_OBJ       := $(EXT_SRC:%.c=$(BUILD)/obj/%.o)
HEADERS       := $(wildcard tokenizer/*.h engine/*.h ext/*.h)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all deps test unit-tests tools bench bench-smoke clean demo test-asan
all: $(BUILD)/embed0.so $(BUILD)/libembed.a

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libembed.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/embed0.so: $(EXT_OBJ) $(CORE_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# Tokenizer tests link only the tokenizer, so they build while engine/ is in flux.
TOKENIZER_OBJ := $(TOKENIZER_SRC:%.c=$(BUILD)/obj/%.o)
$(BUILD)/tests/test_tok%: tests/unit/test_tok%.c $(TOKENIZER_OBJ) tests/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(TOKENIZER_OBJ) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libembed.a tests/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libembed.a $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libembed.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libembed.a $(LDLIBS)

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/%)
$(BUILD)/bench_%: bench/bench_%.c $(BUILD)/libembed.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libembed.a $(LDLIBS)

unit-tests: $(UNIT_BIN)
tools: $(TOOL_BIN)

test: all unit-tests tools
	BUILD=$(BUILD) SANITIZER_PRELOAD="$(SANITIZER_PRELOAD)" bash tests/run.sh

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
# The sqlite3 CLI and Python are not built with ASan, so the runtime is
# preloaded into them (tests/run.sh sets LD_PRELOAD from SANITIZER_PRELOAD).
test-asan:
	$(MAKE) BUILD=build-asan OPT=-O1 EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" \
	  SANITIZER_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" test

deps:
	bash tests/install-deps.sh

demo: all
	bash sql/demo.sh

bench: all tools $(BENCH_BIN)
	BUILD=$(BUILD) bash bench/run.sh

# The benchmark's plumbing, not its numbers: a BENCH_QUICK run without peers
# (~1.5 min), then bench/check_results.py (every section measured).  CI runs it.
bench-smoke: all tools $(BENCH_BIN)
	@mkdir -p $(BUILD)/bench
	BUILD=$(BUILD) BENCH_QUICK=1 PEERS=$(BUILD)/bench/no-peers PEERS_SRC=$(BUILD)/bench/no-peers GGML_REF=$(BUILD)/bench/no-peers \
	  bash bench/run.sh > $(BUILD)/bench/smoke.md 2> $(BUILD)/bench/smoke.log
	/usr/bin/python3 bench/check_results.py $(BUILD)/bench/smoke.md --peers no

clean:
	rm -rf build build-asan

# ---- Fuzzing (libFuzzer, clang) ------------------------------------------
# `make fuzz` builds every tests/fuzz/fuzz_*.c into build-fuzz/ (ASan + UBSan,
# the project's sources instrumented for coverage) and runs each for
# FUZZ_SECONDS on build-fuzz/corpus-<target>, seeded from
# tests/fuzz/corpus/<target>/ (the committed seeds stay small; what the
# fuzzer adds stays in build-fuzz/).  Any crash, leak or hang fails the
# target.  See tests/fuzz/README.md.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build-fuzz
FUZZ_CFLAGS  := -std=c11 -Wall -Wextra -D_GNU_SOURCE -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all $(PKG_CFLAGS) \
                -DWP_SPM_WINDOW_BYTES=64 -DWP_BPE_WINDOW_BYTES=64 # Unigram texts and BPE words cut in
                                                                  # windows within the fuzzer's lengths
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_OBJ     := $(CORE_SRC:%.c=$(FUZZ_DIR)/obj/%.o) $(EXT_SRC:%.c=$(FUZZ_DIR)/obj/%.o)

# The matrix kernels (engine/kernels*.c: intrinsics, unrolled tiles, one copy
# per instruction set) are built at -O0: clang's AddressSanitizer at -O1 takes
# 1-2 min on each of them, the whole fuzz build's critical path, and at -O0
# 5 s, with every memory access still checked.
FUZZ_OPT     := -O1
$(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard engine/kernels*.c)): FUZZ_OPT := -O0
$(FUZZ_DIR)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_OPT) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_model.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_OPT) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lsqlite3 -lpthread -lm

.PHONY: fuzz fuzz-build test-oom test-valgrind
.SECONDARY: $(FUZZ_OBJ)
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
fuzz: fuzz-build $(BUILD)/tools/gen_model
	@for s in modernbert rerank_modernbert gte rerank_gte jina jina_code; do [ -f $(BUILD)/test-models/$$s/config.json ] || \
	  $(BUILD)/tools/gen_model --shape $$s --out $(BUILD)/test-models/$$s > /dev/null || exit 1; done
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_TARGETS)

# ---- Allocation-failure injection -----------------------------------------
# `make test-oom` compiles tokenizer/, engine/ and ext/ with
# -DSE_FAULT_INJECTION and ASan + UBSan into build-oom/ and runs
# tests/unit/test_oom.c (every se_alloc allocation of the tokenizer and
# engine paths made to fail in turn) and tests/unit/oom_sqlite.c (every
# sqlite3_malloc of an SQL script made to fail in turn, through
# SQLITE_CONFIG_MALLOC).  LeakSanitizer checks every sweep.
OOM_DIR    := build-oom
OOM_MAX    ?=# allocation points per SQL sweep; empty: all of them (CI caps it for time)
OOM_CFLAGS := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all -DSE_FAULT_INJECTION $(PKG_CFLAGS)
OOM_CORE_OBJ := $(CORE_SRC:%.c=$(OOM_DIR)/obj/%.o)
OOM_EXT_OBJ  := $(EXT_SRC:%.c=$(OOM_DIR)/obj/%.o)
.SECONDARY: $(OOM_CORE_OBJ) $(OOM_EXT_OBJ)

$(OOM_DIR)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(OOM_CFLAGS) -c $< -o $@

$(OOM_DIR)/test_oom: tests/unit/test_oom.c tests/unit/check.h tests/fuzz/fuzz_model.h $(OOM_CORE_OBJ)
	$(CC) $(OOM_CFLAGS) -o $@ $< $(OOM_CORE_OBJ) $(PKG_LIBS) -lpthread -lm

$(OOM_DIR)/oom_sqlite: tests/unit/oom_sqlite.c tests/unit/check.h tests/fuzz/fuzz_model.h $(OOM_CORE_OBJ) $(OOM_EXT_OBJ)
	$(CC) $(OOM_CFLAGS) -o $@ $< $(OOM_EXT_OBJ) $(OOM_CORE_OBJ) $(PKG_LIBS) -lsqlite3 -lpthread -lm

# The two sweeps are independent: `make -j2 test-oom` runs them side by side.
.PHONY: oom-models oom-engine oom-sql
oom-models: $(BUILD)/tools/gen_model
	@for s in f16 bge dense mpnet nomic nomic_moe modernbert gte jina jina_code rerank rerank_xlmr; do [ -f $(BUILD)/test-models/$$s/config.json ] || \
	  $(BUILD)/tools/gen_model --shape $$s --out $(BUILD)/test-models/$$s > /dev/null || exit 1; done
oom-engine: $(OOM_DIR)/test_oom oom-models
	OPENBLAS_NUM_THREADS=1 TEST_MODELS=$(BUILD)/test-models $(OOM_DIR)/test_oom
oom-sql: $(OOM_DIR)/oom_sqlite
	OPENBLAS_NUM_THREADS=1 $(OOM_DIR)/oom_sqlite $(OOM_MAX)
test-oom: oom-engine oom-sql

# ---- Valgrind --------------------------------------------------------------
# `make test-valgrind` runs the C API unit tests under memcheck, one Valgrind
# per test (so `make -j2` runs two at a time); any memory error or any
# definite, indirect or possible leak fails it.  test_engine runs on the
# f16 and bf16 models only (TEST_MODELS=$(BUILD)/valgrind-models; the big
# shapes print SKIP) to stay within minutes.  Valgrind's exit code is 99 so
# that it is told apart from a test's own failed checks; of those, the
# wall-clock checks ("... in 13.74 s", test_tokenizer's 10 MB inputs) cannot
# hold under Valgrind's ~50x slowdown and are listed but ignored.  Logs:
# $(BUILD)/test-logs/valgrind-<test>.log (Valgrind) and .out (the test).
VALGRIND       ?= valgrind
VALGRIND_FLAGS := --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect,possible \
                  --error-exitcode=99 --suppressions=tests/valgrind.supp
VALGRIND_TESTS := test_engine_api test_tokenizer test_engine test_engine_errors test_model_files test_vec_kernels
VALGRIND_RUNS  := $(VALGRIND_TESTS:%=valgrind-%)

.PHONY: valgrind-models $(VALGRIND_RUNS)
valgrind-models: $(BUILD)/tools/gen_model
	@mkdir -p $(BUILD)/test-logs $(BUILD)/valgrind-models
	@for s in minilm f16 bf16; do [ -f $(BUILD)/test-models/$$s/config.json ] || \
	  $(BUILD)/tools/gen_model --shape $$s --out $(BUILD)/test-models/$$s > /dev/null || exit 1; done
	@ln -sfn ../test-models/f16 $(BUILD)/valgrind-models/f16; ln -sfn ../test-models/bf16 $(BUILD)/valgrind-models/bf16

$(VALGRIND_RUNS): valgrind-%: $(BUILD)/tests/% valgrind-models
	@t=$*; models=$(BUILD)/test-models; [ $$t = test_engine ] && models=$(BUILD)/valgrind-models; \
	  start=$$(date +%s); \
	  TEST_MODELS=$$models $(VALGRIND) $(VALGRIND_FLAGS) --log-file=$(BUILD)/test-logs/valgrind-$$t.log \
	    $(BUILD)/tests/$$t > $(BUILD)/test-logs/valgrind-$$t.out 2>&1; rc=$$?; \
	  other=$$(grep '^FAIL' $(BUILD)/test-logs/valgrind-$$t.out | grep -Ev ' in [0-9.]+ s ' | wc -l); \
	  timing=$$(grep '^FAIL' $(BUILD)/test-logs/valgrind-$$t.out | grep -Ec ' in [0-9.]+ s '); \
	  summary=$$(grep -h 'ERROR SUMMARY' $(BUILD)/test-logs/valgrind-$$t.log | sed 's/^==[0-9]*== //'); \
	  heap=$$(grep -h 'in use at exit' $(BUILD)/test-logs/valgrind-$$t.log | sed 's/^==[0-9]*== *//'); \
	  if [ $$rc -eq 99 ] || [ $$other -ne 0 ] || { [ $$rc -ne 0 ] && [ $$timing -eq 0 ]; }; then \
	    echo "FAIL: valgrind $$t (exit $$rc, $$other failed checks): $$summary; see $(BUILD)/test-logs/valgrind-$$t.log"; exit 1; \
	  else \
	    echo "PASS: valgrind $$t: $$summary; $$heap; $$(grep -c '^PASS' $(BUILD)/test-logs/valgrind-$$t.out) checks passed, $$timing wall-clock checks ignored ($$(( $$(date +%s) - start )) s)"; \
	  fi

test-valgrind: $(VALGRIND_RUNS)

# ---- ThreadSanitizer -------------------------------------------------------
# `make test-tsan` builds the extension with -fsanitize=thread into
# build-tsan/embed0.so, and tests/tsan/test_concurrency.c beside it, and runs
# the test for TSAN_SECONDS: 8 threads, each with its own connection to one
# WAL database, all sharing one model (see the file).  Any ThreadSanitizer
# report fails it (tests/tsan/run.sh).  Not part of `make test`: the TSan
# runtime must be linked into the program, and it cannot share a process
# with AddressSanitizer.
TSAN_DIR     := build-tsan
TSAN_SECONDS ?= 20
TSAN_CFLAGS  := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=thread $(PKG_CFLAGS)
TSAN_OBJ     := $(CORE_SRC:%.c=$(TSAN_DIR)/obj/%.o) $(EXT_SRC:%.c=$(TSAN_DIR)/obj/%.o)
.SECONDARY: $(TSAN_OBJ)

$(TSAN_DIR)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(TSAN_DIR)/embed0.so: $(TSAN_OBJ)
	$(CC) -shared -fsanitize=thread -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(TSAN_DIR)/test_concurrency: tests/tsan/test_concurrency.c tests/unit/check.h
	$(CC) $(TSAN_CFLAGS) -o $@ $< -lsqlite3 -lpthread -lm

.PHONY: test-tsan
test-tsan: $(TSAN_DIR)/embed0.so $(TSAN_DIR)/test_concurrency $(BUILD)/tools/gen_model
	@for s in f16 rerank; do [ -f $(BUILD)/test-models/$$s/config.json ] || \
	  $(BUILD)/tools/gen_model --shape $$s --out $(BUILD)/test-models/$$s > /dev/null || exit 1; done
	TSAN_DIR=$(TSAN_DIR) bash tests/tsan/run.sh $(BUILD)/test-models/f16 $(TSAN_SECONDS) $(BUILD)/test-models/rerank
