// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Maps only: its skeleton is how the daemon creates and pins the maps
 * without loading any program.
 */
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
