# sqlite-embed — build, test and benchmark.
#   make            build/embed0.so (load with `.load ./build/embed0`)
#   make deps       install the Debian packages everything needs
#   make test       every test; closes with "N passed, N failed"
#   make bench      benchmarks (see bench/README.md)
PKGS      := openblas jansson libutf8proc
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

.PHONY: all deps test unit-tests tools bench clean demo test-asan
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

clean:
	rm -rf build build-asan
