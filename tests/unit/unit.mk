# libbpfam unit tests (cmocka), built twice: against $(LIB), and with the
# library and the tests recompiled under AddressSanitizer and
# UndefinedBehaviorSanitizer into $(BUILD)/asan/, where any memory error or
# undefined behaviour aborts the test binary and so fails its suite.
#
#   make unit-test   build and run both (tests/run.sh prints the totals)

UNIT_NAMES := crc_units sb record log alloc fs resize xattrs device slot array slab \
	group lend
UNIT_TESTS := $(UNIT_NAMES:%=$(BUILD)/tests/test_%)
UNIT_ASAN  := $(UNIT_NAMES:%=$(BUILD)/asan/tests/test_%)
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
SAN_ENV    := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
ASAN_LIB   := $(BUILD)/asan/libbpfam.a

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o \
		$(BUILD)/tests/unit/testdev.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(ASAN_LIB): $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
	$(AR) rcs $@ $^

$(BUILD)/asan/tests/test_%: $(BUILD)/asan/tests/unit/test_%.o \
		$(BUILD)/asan/tests/unit/testdev.o $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Keep the objects: make would delete them as intermediates of the chains.
.SECONDARY: $(UNIT_NAMES:%=$(BUILD)/tests/unit/test_%.o) \
	$(UNIT_NAMES:%=$(BUILD)/asan/tests/unit/test_%.o) \
	$(BUILD)/tests/unit/testdev.o $(BUILD)/asan/tests/unit/testdev.o

UNIT_SUITES := $(UNIT_TESTS) $(foreach t,$(UNIT_ASAN),'$(SAN_ENV) $(t)')

unit-test: $(UNIT_TESTS) $(UNIT_ASAN)
	@tests/run.sh $(UNIT_SUITES)

test: $(UNIT_TESTS) $(UNIT_ASAN)
TEST_SUITES += $(UNIT_SUITES)

-include $(wildcard $(BUILD)/asan/*/*/*.d)
