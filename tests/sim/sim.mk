# The many-hosts simulation (tests/sim/README.md): SIM_HOSTS simhost
# processes on one device file in /dev/shm, killed, restarted, stopped and
# evicted by simdrive while it checks the sharing invariants.
#
#   make test                       a short run (SIM_SECONDS, a random seed)
#   make soak SOAK_SECONDS=600      a long one
#   SIM_SEED=N                      either of them with a given seed

SIM_HOST     := $(BUILD)/tests/simhost
SIM_DRIVE    := $(BUILD)/tests/simdrive
SIM_SECONDS  ?= 20
SIM_HOSTS    ?= 16
SOAK_SECONDS ?= 600
SIM_ARGS      = --hosts $(SIM_HOSTS) $(if $(SIM_SEED),--seed $(SIM_SEED))

$(SIM_HOST): $(BUILD)/tests/sim/simhost.o $(BUILD)/tests/sim/sim.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(SIM_DRIVE): $(BUILD)/tests/sim/simdrive.o $(BUILD)/tests/sim/sim.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: soak
soak: $(BUILD)/bpfam $(SIM_HOST) $(SIM_DRIVE)
	@tests/run.sh '$(SIM_DRIVE) --seconds $(SOAK_SECONDS) $(SIM_ARGS)'

test: $(SIM_HOST) $(SIM_DRIVE)
TEST_SUITES += '$(SIM_DRIVE) --seconds $(SIM_SECONDS) $(SIM_ARGS)' \
	'tests/sim/selftest.sh $(BUILD)'
