/* SPDX-License-Identifier: GPL-2.0 */
/* JSON output (json-c), one way for the CLI and the daemon to add a field. */
#ifndef BPFAM_JSON_H
#define BPFAM_JSON_H

#include <stdint.h>

#include <json-c/json.h>

static inline void bpfam_json_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static inline void bpfam_json_str(json_object *o, const char *key,
				  const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

#endif /* BPFAM_JSON_H */
