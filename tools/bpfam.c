// SPDX-License-Identifier: GPL-2.0
/* bpfam: one binary, a table of subcommands (git/iproute2 style). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpfam/version.h"
#include "cmd.h"
#include "units.h"

static const struct cmd commands[] = {
	{ "mkfs", cmd_mkfs, "make a new bpfam filesystem on a device",
	  "usage: bpfam mkfs [--force] [--log-size SIZE] [--host-id ID]\n"
	  "                  [--fence-timeout SECONDS] DEVICE\n"
	  "\n"
	  "Formats DEVICE (a devdax device /dev/daxX.Y, or a regular file whose\n"
	  "size is a multiple of 2 MiB emulating one).  Refuses a device that\n"
	  "already holds a bpfam or any other recognizable filesystem, unless\n"
	  "--force, and a device that a bpfamd on this machine has open.\n"
	  "\n"
	  "Over a bpfam, --force first fences it: it marks the superblock\n"
	  "fenced and waits until every live host has acknowledged (stopped\n"
	  "using the device), then formats.  Hosts that are not heartbeating\n"
	  "are not waited for: they fence themselves if they ever come back.\n"
	  "When a live host does not acknowledge in time, mkfs names it and\n"
	  "exits 1, leaving the device fenced and unformatted.\n"
	  "\n"
	  "  -f, --force                  format even over an existing filesystem\n"
	  "  -l, --log-size SIZE          metadata log size (e.g. 64M); default:\n"
	  "                               1/256 of the device, at least 8 MiB, at\n"
	  "                               most 1 GiB\n"
	  "  -i, --host-id ID             the primary, the host that writes\n"
	  "                               metadata (a UUID or machine-id);\n"
	  "                               default: this machine's\n"
	  "      --fence-timeout SECONDS  how long --force waits for live hosts;\n"
	  "                               default 10\n"
	  "  -h, --help                   show this help\n" },
	{ "fsck", cmd_fsck, "check a bpfam filesystem",
	  "usage: bpfam fsck [--json] DEVICE|MOUNTPOINT\n"
	  "\n"
	  "Verifies the superblock and every log record: checksums, sequence,\n"
	  "extents inside the device and aligned, no two files overlapping,\n"
	  "valid names; on a mounted filesystem, a snapshot of the live log,\n"
	  "naming the hosts that have it mounted.  Prints a summary.\n"
	  "\n"
	  "Exit status (fsck(8)'s, but 2 for usage): 0 clean; 1 needs recovery\n"
	  "(an unfinished append the next mount discards); 2 usage error;\n"
	  "4 damaged; 8 not checked (no device, no bpfam, fenced...).\n"
	  "\n"
	  "  -j, --json   print the summary as JSON\n"
	  "  -h, --help   show this help\n" },
	{ "logdump", cmd_logdump, "print the metadata log",
	  "usage: bpfam logdump [--json] DEVICE\n"
	  "\n"
	  "Prints every record of the metadata log, in order.\n"
	  "\n"
	  "  -j, --json   one JSON array of records\n"
	  "  -h, --help   show this help\n" },
	{ "hosts", cmd_hosts, "list the hosts registered on a bpfam",
	  "usage: bpfam hosts [--json] [--wait MS] DEVICE|MOUNTPOINT\n"
	  "\n"
	  "Lists the hosts registered on a bpfam, from their slots on the\n"
	  "device (for a MOUNTPOINT, the device its bpfamd serves): slot, host\n"
	  "id, name, role, state, pid, the last record played, the reclaim\n"
	  "horizon and the mountpoint.  STATE is live (its heartbeat moves),\n"
	  "dead (it does not: crashed, killed or powered off; see bpfam host\n"
	  "evict), fenced (it saw a fence or its eviction and let go),\n"
	  "stopped-following at record N (live, but it cannot play record N),\n"
	  "or torn (the slot does not checksum).  Liveness is sampled by\n"
	  "reading every heartbeat twice, three of the slowest host's heartbeat\n"
	  "periods apart.\n"
	  "\n"
	  "  -j, --json     print an array of objects, one per slot\n"
	  "  -w, --wait MS  sample liveness over at least MS milliseconds\n"
	  "  -h, --help     show this help\n" },
	{ "host", cmd_host, "evict a host from a bpfam",
	  "usage: bpfam host evict [--force] ID DEVICE|MOUNTPOINT\n"
	  "\n"
	  "Evicts a registered host: its slot becomes free for another host,\n"
	  "and its reclaim horizon stops holding back the reuse of deleted\n"
	  "files' space.  ID is a host id (a UUID or machine-id, as bpfam hosts\n"
	  "shows it) or a slot number.  Refuses a host whose heartbeat still\n"
	  "moves, unless --force.  An evicted host that is in fact alive fences\n"
	  "itself at its next heartbeat.\n"
	  "\n"
	  "  -f, --force  evict a live host too: until it notices, it may still\n"
	  "               read and write the space of files it holds, which can\n"
	  "               then be given to other files\n"
	  "  -h, --help   show this help\n" },
	{ "lend", cmd_lend, "show or give back what of a devdax is lent to the kernel",
	  "usage: bpfam lend [--none | --from OFFSET|data] DEVICE\n"
	  "\n"
	  "Shows whether the devdax DEVICE (/dev/daxX.Y) is lent to the kernel\n"
	  "(fs-dax), and from which offset: the lent part no longer maps\n"
	  "through DEVICE (mmap EACCES), the part before it (bpfam's metadata)\n"
	  "does.  bpfamd lends the data range of the device it serves in fast\n"
	  "mode, from the superblock's data_off, and gives it back when it\n"
	  "exits; a bpfamd killed with SIGKILL leaves it lent (the next bpfamd\n"
	  "takes it over).  --none gives it back by hand, --from lends it; both\n"
	  "switch it as 'daxctl reconfigure-device' does (unbind from\n"
	  "device_dax, write /sys/bus/dax/devices/daxX.Y/lend, bind again),\n"
	  "which kills every mapping of DEVICE: they refuse a DEVICE that a\n"
	  "process has open or mapped (a bpfamd serving it), naming it.\n"
	  "Needs a kernel with the kpatch/ series.\n"
	  "\n"
	  "  -n, --none          give DEVICE back: nothing lent, it maps whole\n"
	  "  -f, --from OFFSET   lend from OFFSET (a multiple of the device's\n"
	  "                      alignment), or from data_off with 'data'\n"
	  "  -h, --help          show this help\n" },
	{ "creat", cmd_creat, "create a file of a given size on a mounted bpfam",
	  "usage: bpfam creat -s SIZE [--interleave STRIPS [--chunk SIZE]]\n"
	  "                   [--random [--seed N]] FILE\n"
	  "\n"
	  "Creates FILE (which must not exist) on a mounted bpfam and sizes it\n"
	  "(fallocate), which allocates and zeroes its space in one step: how\n"
	  "to make a file to be written in place, or, with --interleave, an\n"
	  "interleaved file (which keeps the size it is made with).\n"
	  "If the size cannot be set (ENOSPC...), FILE is removed again, so\n"
	  "that no half-made file is left, and the error says so.  A FILE that\n"
	  "is not on a mounted bpfam is refused.\n"
	  "\n"
	  "  -s, --size SIZE          the file's size (e.g. 64M, 1.5G), more than 0\n"
	  "      --interleave STRIPS  stripe the file over STRIPS (1-64) device\n"
	  "                           ranges, chunk by chunk\n"
	  "      --chunk SIZE         interleave chunk, a multiple of 2 MiB up\n"
	  "                           to 1 GiB; default 2 MiB\n"
	  "  -r, --random             fill the file with the pseudo-random stream\n"
	  "                           of a seed, for bpfam verify to check\n"
	  "  -S, --seed N             the seed (0 to 2^64-1, decimal or 0x hex);\n"
	  "                           default: a random one, printed\n"
	  "  -h, --help               show this help\n" },
	{ "cp", cmd_cp, "copy files and directories into a mounted bpfam",
	  "usage: bpfam cp [-r] [--interleave STRIPS [--chunk SIZE]] SRC... DEST\n"
	  "\n"
	  "Copies files into a mounted bpfam, as cp(1): to DEST if it is a new\n"
	  "name, into DEST/ if it is a directory (required for several SRCs).\n"
	  "Each copy is created with the source's size (one allocation),\n"
	  "filled, then read back and compared with the source; an error names\n"
	  "the file, the step and the offset.  Existing files are never\n"
	  "replaced; an empty source makes an empty file.  Directories\n"
	  "are omitted unless -r, which copies each as a tree: its directories\n"
	  "are made (or merged into, if they exist) and its regular files\n"
	  "copied; other entries (symlinks, devices) are refused.  Shows\n"
	  "progress when stderr is a terminal.  A DEST that is not on a\n"
	  "mounted bpfam is refused.\n"
	  "\n"
	  "  -r, -R, --recursive      copy directories and their contents\n"
	  "      --interleave STRIPS  interleave the copies (see bpfam creat)\n"
	  "      --chunk SIZE         interleave chunk; default 2 MiB\n"
	  "  -h, --help               show this help\n" },
	{ "mkdir", cmd_mkdir, "make directories on a mounted bpfam",
	  "usage: bpfam mkdir [-p] [-m MODE] DIR...\n"
	  "\n"
	  "Makes each DIR on a mounted bpfam, as mkdir(1).\n"
	  "\n"
	  "  -p, --parents    make missing parents too; no error if DIR exists\n"
	  "  -m, --mode MODE  octal mode of DIR, 0 to 7777 (not umasked; the\n"
	  "                   setgid bit, 2775, makes files inherit its group)\n"
	  "  -h, --help       show this help\n" },
	{ "verify", cmd_verify, "check a file made by creat --random",
	  "usage: bpfam verify --seed N FILE\n"
	  "\n"
	  "Reads FILE back from the daemon (not this host's page cache) and\n"
	  "compares it with the pseudo-random stream of seed N, as bpfam creat\n"
	  "--random --seed N wrote it, on this host or another sharing the\n"
	  "memory.  Exits 1 naming the first offset that differs.\n"
	  "\n"
	  "  -S, --seed N  the seed FILE was made with\n"
	  "  -h, --help    show this help\n" },
	{ "check", cmd_check, "check the fmaps of every file of a mounted bpfam",
	  "usage: bpfam check MOUNTPOINT\n"
	  "\n"
	  "Reads the fmap of every file of the bpfam mounted at MOUNTPOINT (or\n"
	  "holding the path MOUNTPOINT) as the daemon serves it, and checks that\n"
	  "each is valid, lies inside the device's data area, and shares no byte\n"
	  "with another file's.  Reads the superblock of the device the mount\n"
	  "serves, for its bounds.  Prints a summary; exits 1 after one line per\n"
	  "problem, naming the file (both files of an overlap).\n"
	  "\n"
	  "  -h, --help   show this help\n" },
	{ "getmap", cmd_getmap, "print a file's extents",
	  "usage: bpfam getmap [--json] [--chunks] FILE\n"
	  "       bpfam getmap --bpf FILE\n"
	  "\n"
	  "Prints where FILE's bytes live, from its fmap (the user.bpfam.fmap\n"
	  "xattr; what the daemon publishes in the pinned fmaps BPF map): for a\n"
	  "simple file each extent's file offset, device index, device offset\n"
	  "and length; for an interleaved one the chunk size and each strip's\n"
	  "device range (file chunk c lives in strip c % STRIPS).  A file that\n"
	  "holds no space (empty) has no fmap.\n"
	  "\n"
	  "  -j, --json    print the fmap as JSON\n"
	  "  -v, --chunks  interleaved files: also map every chunk\n"
	  "  -b, --bpf     print the keys of FILE's entries in the pinned BPF\n"
	  "                maps and the bpftool commands that show them\n"
	  "                (a file of more than 4 extents: needs root)\n"
	  "  -h, --help    show this help\n" },
	{ "flush", cmd_flush, "write a file's memory back from this CPU's caches",
	  "usage: bpfam flush [--verbose] FILE [OFFSET LEN]\n"
	  "\n"
	  "Writes FILE's bytes [OFFSET, OFFSET + LEN) (default: all of them)\n"
	  "back from this CPU's caches to the shared memory, and drops them\n"
	  "from the caches.  Memory shared between hosts is not coherent between\n"
	  "them: an application that writes through a mapping or the kernel fast\n"
	  "path on one host and reads on another runs this on the writer after\n"
	  "writing and on the reader before reading.  OFFSET and LEN take size\n"
	  "suffixes; the range must lie inside the file.  Reads the device that\n"
	  "the mount serves (a regular file emulating one is opened read-write,\n"
	  "to msync it).  A FILE that is not on a mounted bpfam is refused.\n"
	  "\n"
	  "  -v, --verbose  print each device range flushed\n"
	  "  -h, --help     show this help\n" },
	{ "stats", cmd_stats, "print a mounted bpfam's counters",
	  "usage: bpfam stats [--json] MOUNTPOINT\n"
	  "\n"
	  "Prints what the daemon serving MOUNTPOINT reports (the\n"
	  "user.bpfam.stats xattr): its role, the filesystem UUID and device,\n"
	  "requests served by opcode, bytes read and written, files and\n"
	  "directories, data and log space used.\n"
	  "\n"
	  "  -j, --json   print the daemon's JSON as is\n"
	  "  -h, --help   show this help\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void verror(const char *name, const char *fmt, va_list ap)
{
	fprintf(stderr, "bpfam %s: ", name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cmd_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(name, fmt, ap);
	va_end(ap);
}

int cmd_usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(name, fmt, ap);
	va_end(ap);
	fputs(cmd_find(name)->usage, stderr);
	return EXIT_USAGE;
}

int cmd_help(const char *name)
{
	fputs(cmd_find(name)->usage, stdout);
	return EXIT_OK;
}

int cmd_parse_size(const char *name, const char *opt, const char *arg,
		   uint64_t *out)
{
	if (bpfam_parse_size(arg, out) == 0)
		return 0;
	cmd_usage_error(name,
			"%s '%s': not a size (a number, optionally with K, M, G, T or P)",
			opt, arg);
	return -1;
}

static int usage(FILE *f)
{
	size_t i;

	fputs("usage: bpfam COMMAND [ARGS...]\n"
	      "       bpfam help [COMMAND]\n"
	      "       bpfam COMMAND --help\n"
	      "       bpfam --version\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nSizes accept binary suffixes: 4K, 2M, 1G, 1.5T (a fraction is\n"
	      "rounded down to whole bytes).\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      f);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("bpfam %s\n", BPFAM_VERSION_STRING);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		if (argc < 3)
			return usage(stdout);
		c = cmd_find(argv[2]);
		if (!c) {
			fprintf(stderr, "bpfam: unknown command '%s'\n", argv[2]);
			return usage(stderr);
		}
		return cmd_help(c->name);
	}
	c = cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "bpfam: unknown command '%s'\n", argv[1]);
		return usage(stderr);
	}
	return c->run(argc - 1, argv + 1);
}
