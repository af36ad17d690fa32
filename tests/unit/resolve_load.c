// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Load test: every BPF object that can load on this kernel loads (libbpf
 * prints the verifier log when one does not), the loaded twin shows up in
 * `bpftool prog show`, and a few resolves through it exercise what only
 * the BPF side has: the `devs` translation and the counters.  The fast
 * path's skeleton exposes what the daemon needs, and the fast path loads
 * or, on a kernel without struct fuse_fmap_ops, fails only for that.
 *
 * usage: resolve_load
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bpf/bpfam_maps.skel.h"
#include "bpf/fmap_ops.skel.h"
#include "bpf/resolve_test.skel.h"
#include "bpfam/resolve.h"
#include "resolve_test.h"
#include "resolve_util.h"

#define DEV_ID0 1000

static void load_maps(void)
{
	struct bpfam_maps *skel = bpfam_maps__open_and_load();

	tap(skel != NULL,
	    "bpfam_maps.bpf.o loads: fmaps, fmap_exts, devs, counters");
	bpfam_maps__destroy(skel);
}

static void print_verifier_stats(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		printf("# resolve_test: %u instructions verified, %u jited "
		       "bytes\n",
		       info.verified_insns, info.jited_prog_len);
}

/* The done criterion of the twin: the kernel lists it as a syscall prog. */
static void bpftool_lists(void)
{
	char line[512];
	int listed = 0;
	FILE *p = popen("bpftool prog show name resolve_test 2>&1", "r");

	while (p && fgets(line, sizeof(line), p)) {
		printf("# %s", line);
		listed |=
			strstr(line, "syscall") && strstr(line, "resolve_test");
	}
	if (p)
		pclose(p);
	tap(listed, "bpftool prog show lists the syscall program resolve_test");
}

static int run(struct resolve_test *skel, struct bpfam_resolve_req *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = r,
		    .ctx_size_in = sizeof(*r));

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.resolve_test),
				      &opts);
}

static int put_dev(struct resolve_test *skel, __u32 idx, __u64 size,
		   __u32 flags)
{
	struct bpfam_dev d = {
		.size = size, .kernel_id = DEV_ID0 + idx, .flags = flags};

	return bpf_map__update_elem(skel->maps.devs, &idx, sizeof(idx), &d,
				    sizeof(d), BPF_ANY);
}

/* One 4 MiB extent at 2 MiB on device 1, a 3 MiB file, node id 7. */
static int put_fmap(struct resolve_test *skel)
{
	static const struct bpfam_fmap fm = {
		.version = BPFAM_FMAP_VERSION,
		.kind = BPFAM_FMAP_SIMPLE,
		.gen = 5,
		.size = 3 << 20,
		.nr = 1,
		.ext = {{.dev_off = 2 << 20, .len = 4 << 20, .dev = 1}},
	};
	struct bpfam_map_fmap pub;
	__u64 key = 7;

	return bpfam_fmap_publish(&fm, fm.gen, 1, 0, &pub, NULL) ?:
		       bpf_map__update_elem(skel->maps.fmaps, &key, sizeof(key),
					    &pub, sizeof(pub), BPF_ANY);
}

static int resolve(struct resolve_test *skel, __u64 nodeid, __u64 pos,
		   __u32 access, struct bpfam_resolve_req *r)
{
	*r = (struct bpfam_resolve_req){.nodeid = nodeid,
					.gen = 5,
					.pos = pos,
					.len = 4096,
					.access = access};
	return run(skel, r) ? -1000 : r->rc;
}

static void check_bpf_side(struct resolve_test *skel)
{
	struct bpfam_resolve_req r;
	struct bpfam_counters c;
	int rc;

	tap(!put_fmap(skel) && !put_dev(skel, 1, 1ULL << 30, BPFAM_DEV_PRESENT),
	    "fill fmaps and devs");
	rc = resolve(skel, 7, 4096, BPFAM_ACC_FAULT, &r);
	tap(rc == 0 && r.dev == 1 && r.dev_id == DEV_ID0 + 1 &&
		    r.dev_off == (2 << 20) + 4096 &&
		    r.run_len == (3 << 20) - 4096,
	    "twin resolves node 7 and maps device 1 to its kernel id (rc %d)",
	    rc);
	rc = resolve(skel, 8, 0, 0, &r);
	tap(rc == -ENOENT, "node id without fmap: -ENOENT (rc %d)", rc);
	rc = put_dev(skel, 1, 4 << 20, BPFAM_DEV_PRESENT) ?:
		     resolve(skel, 7, 0, 0, &r);
	tap(rc == -EINVAL, "range past the device's end: -EINVAL (rc %d)", rc);
	rc = put_dev(skel, 1, 1ULL << 30, 0) ?:
		     resolve(skel, 7, 0, BPFAM_ACC_WRITE, &r);
	tap(rc == -ENODEV, "device not present: -ENODEV (rc %d)", rc);
	rc = put_dev(skel, 1, 1ULL << 30, BPFAM_DEV_PRESENT) ?:
		     resolve(skel, 7, 0, BPFAM_ACC_WRITE, &r);
	tap(rc == 0, "write resolves (rc %d)", rc);

	c = sum_counters(skel->maps.counters);
	tap(c.reads == 1 && c.writes == 1 && c.faults == 1 &&
		    c.read_bytes == 4096 && c.write_bytes == 4096 &&
		    c.no_fmap == 1 && c.malformed == 1 && c.no_dev == 1 &&
		    !c.stale && !c.eof && !c.rdonly,
	    "counters: 1 read fault, 1 write, 1 no_fmap, 1 malformed, "
	    "1 no_dev");
}

static void load_twin(void)
{
	struct resolve_test *skel = resolve_test__open_and_load();

	if (!tap(skel != NULL, "resolve_test.bpf.o (syscall twin) loads"))
		return;
	print_verifier_stats(bpf_program__fd(skel->progs.resolve_test));
	bpftool_lists();
	check_bpf_side(skel);
	resolve_test__destroy(skel);
}

/* libbpf's warnings during one load, for the reason it failed. */
static char load_log[4096];
static libbpf_print_fn_t print_next;

__attribute__((format(printf, 2, 0))) static int
capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(load_log);
	va_list ap2;

	if (level == LIBBPF_WARN) {
		va_copy(ap2, ap);
		vsnprintf(load_log + n, sizeof(load_log) - n, fmt, ap2);
		va_end(ap2);
	}
	return print_next(level, fmt, ap);
}

/* The daemon sets fuse_fd through the skeleton's shadow type before
 * loading (with libbpf 1.1, struct_ops.bpfam_fmap_ops was NULL).  The
 * kernel binds the instance to that connection only when the link is
 * created, so a load without one (-1) checks everything else. */
static void load_fmap_ops(void)
{
	struct fmap_ops *skel = fmap_ops__open();
	int err;

	if (!tap(skel && skel->struct_ops.bpfam_fmap_ops &&
			 bpf_map__type(skel->maps.bpfam_fmap_ops) ==
				 BPF_MAP_TYPE_STRUCT_OPS &&
			 skel->struct_ops.bpfam_fmap_ops->resolve ==
				 skel->progs.bpfam_resolve_op,
		 "fmap_ops skeleton: struct_ops map bpfam_fmap_ops whose "
		 "resolve is bpfam_resolve_op")) {
		fmap_ops__destroy(skel);
		return;
	}
	load_log[0] = 0;
	print_next = libbpf_set_print(capture_print);
	err = fmap_ops__load(skel);
	libbpf_set_print(print_next);
	if (!err)
		tap(1, "fmap_ops.bpf.o loads: this kernel has struct "
		       "fuse_fmap_ops");
	else
		tap(err == -ESRCH &&
			    strstr(load_log,
				   "struct bpf_struct_ops_fuse_fmap_ops "
				   "is not found in kernel BTF"),
		    "fmap_ops.bpf.o fails to load only because this kernel "
		    "has no struct fuse_fmap_ops (err %d)",
		    err);
	fmap_ops__destroy(skel);
}

int main(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}
	resolve_util_init();
	load_maps();
	load_twin();
	load_fmap_ops();
	return tap_done();
}
