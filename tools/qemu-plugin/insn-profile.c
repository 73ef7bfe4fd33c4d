/* SPDX-License-Identifier: GPL-2.0 */
/*
 * insn-profile: a QEMU (7.2, plugin API version 1) TCG plugin that counts the
 * guest instructions executed per translated block, for scripts/profile-bench.sh.
 *
 *   qemu-system-x86_64 ... -plugin insn-profile.so,out=PATH
 *
 * Each translated block (TB) gets a counter {vaddr, n_insns, execs}; an inline
 * add (no helper call, cheap) bumps execs each time the block runs.  Output
 * lines are "vaddr n_insns execs" (hex vaddr), aggregated by (vaddr, n_insns):
 * QEMU retranslates blocks (TB flushes, new mappings) and one vaddr may be
 * several blocks (user processes share addresses), so the sum is what counts.
 *
 * Windows: when the guest executes the marker instruction `xchg %bx,%bx`
 * (66 87 db, the Bochs magic breakpoint; nothing compiled emits it) in user
 * mode (tools/qemu-plugin/nsk-prof-mark.c), the counts since the previous
 * marker go to PATH.1, PATH.2, ... and the counters restart from zero; what
 * is left at exit goes to PATH.  So a window between two markers holds only
 * what the guest ran between them.
 *
 * No qemu-plugin.h is installed on this host: the few API functions used are
 * declared here with QEMU 7.2's ABI.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
	enum qemu_plugin_op op, void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
	void (*cb)(unsigned int vcpu, void *udata), enum qemu_plugin_cb_flags flags, void *udata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, void *), void *udata);

struct counter {
	uint64_t execs;         /* first: the inline add's target */
	uint64_t vaddr;
	uint64_t n_insns;
};

/* counters in chunks that never move (the inline ops hold their addresses) */
#define CHUNK 65536
static struct counter **chunks;
static size_t n_counters, n_chunks;
static const char *out_path = "insn-profile.out";
static unsigned windows;

static struct counter *new_counter(void)
{
	if (n_counters == n_chunks * CHUNK) {
		chunks = realloc(chunks, (n_chunks + 1) * sizeof(*chunks));
		chunks[n_chunks] = calloc(CHUNK, sizeof(struct counter));
		if (!chunks || !chunks[n_chunks]) {
			fprintf(stderr, "insn-profile: out of memory\n");
			abort();
		}
		n_chunks++;
	}
	struct counter *c = &chunks[n_counters / CHUNK][n_counters % CHUNK];
	n_counters++;
	return c;
}

static int by_block(const void *a, const void *b)
{
	const struct counter *x = *(struct counter *const *)a, *y = *(struct counter *const *)b;
	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return x->n_insns < y->n_insns ? -1 : x->n_insns > y->n_insns;
}

/* dump: the executed blocks, summed per (vaddr, n_insns), to path; then zero */
static void dump(const char *path)
{
	struct counter **v = malloc(n_counters * sizeof(*v) + 1);
	size_t n = 0, i;
	for (i = 0; i < n_counters; i++) {
		struct counter *c = &chunks[i / CHUNK][i % CHUNK];
		if (c->execs)
			v[n++] = c;
	}
	qsort(v, n, sizeof(*v), by_block);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		free(v);
		return;
	}
	for (i = 0; i < n;) {
		size_t j = i;
		uint64_t execs = 0;
		while (j < n && v[j]->vaddr == v[i]->vaddr && v[j]->n_insns == v[i]->n_insns)
			execs += v[j++]->execs;
		fprintf(f, "%llx %llu %llu\n", (unsigned long long)v[i]->vaddr,
			(unsigned long long)v[i]->n_insns, (unsigned long long)execs);
		i = j;
	}
	fclose(f);
	for (i = 0; i < n; i++)
		v[i]->execs = 0;
	free(v);
}

/* the guest ran the marker: close the window (runs on the vCPU thread) */
static void marker(unsigned int vcpu, void *udata)
{
	char path[4096];
	(void)vcpu; (void)udata;
	snprintf(path, sizeof(path), "%s.%u", out_path, ++windows);
	dump(path);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct counter *c = new_counter();
	(void)id;
	c->vaddr = qemu_plugin_tb_vaddr(tb);
	c->n_insns = n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &c->execs, 1);
	if (c->vaddr >> 47)     /* kernel block: no marker there */
		return;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		if (qemu_plugin_insn_size(insn) == 3 &&
		    !memcmp(qemu_plugin_insn_data(insn), "\x66\x87\xdb", 3))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id; (void)udata;
	dump(out_path);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
		else {
			fprintf(stderr, "insn-profile: unknown argument %s (want out=PATH)\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
