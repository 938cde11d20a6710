// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * io_uring features, each found by asking the kernel: io_uring_get_probe for
 * SQE opcodes, a trial call on scratch rings for register opcodes and setup
 * flags, and BTF enums for what cannot be called harmlessly.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>
#include <liburing.h>
#include "probes.h"

/* Newer than liburing 2.3's headers (uapi values, stable). */
#define REG_CLONE_BUFFERS	30
#define REG_MEM_REGION		34
#define CLONE_DST_REPLACE	2
#define SETUP_NO_MMAP		(1U << 14)
#define OP_READV_FIXED		60
#define OP_WRITEV_FIXED		61

struct clone_args { __u32 src_fd, flags, src_off, dst_off, nr, pad[3]; };

static int sys_register(int fd, unsigned op, void *arg, unsigned nr)
{
	int r = syscall(__NR_io_uring_register, fd, op, arg, nr);

	return r < 0 ? -errno : r;
}

static struct probe_result *add(struct probe_result *res, size_t *n, size_t max,
				const char *name)
{
	static struct probe_result spill;
	struct probe_result *r = *n < max ? &res[(*n)++] : &spill;

	memset(r, 0, sizeof(*r));
	r->name = name;
	return r;
}

static void answer(struct probe_result *r, int ret, const char *what)
{
	r->yes = ret >= 0;
	if (ret >= 0)
		snprintf(r->how, sizeof(r->how), "%s returned %d", what, ret);
	else
		snprintf(r->how, sizeof(r->how), "%s failed: %s", what, strerrorname_np(-ret));
}

static void probe_opcodes(struct probe_result *res, size_t *n, size_t max)
{
	static const struct { const char *name; int op; } ops[] = {
		{ "READ_FIXED", IORING_OP_READ_FIXED },
		{ "WRITE_FIXED", IORING_OP_WRITE_FIXED },
		{ "READV_FIXED", OP_READV_FIXED },
		{ "WRITEV_FIXED", OP_WRITEV_FIXED },
		{ "URING_CMD", IORING_OP_URING_CMD },
	};
	struct io_uring_probe *p = io_uring_get_probe();

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct probe_result *r = add(res, n, max, ops[i].name);

		r->yes = p && io_uring_opcode_supported(p, ops[i].op);
		snprintf(r->how, sizeof(r->how), "io_uring_get_probe: opcode %d %s", ops[i].op,
			 r->yes ? "supported" : "not supported");
	}
	if (p)
		io_uring_free_probe(p);
}

/* Registration opcodes and clone flags, tried on two scratch rings. */
static void probe_register(struct probe_result *res, size_t *n, size_t max)
{
	struct io_uring a, b;
	static char page[4096] __attribute__((aligned(4096)));
	struct iovec iov = { page, sizeof(page) };
	struct clone_args ca = {};
	bool ok_a = !io_uring_queue_init(4, &a, 0);
	bool ok_b = !io_uring_queue_init(4, &b, 0);
	int ret;

	if (!ok_a || !ok_b) {
		struct probe_result *r = add(res, n, max, "REGISTER_BUFFERS");

		snprintf(r->how, sizeof(r->how), "io_uring_setup failed: io_uring unavailable");
		goto out;
	}
	answer(add(res, n, max, "REGISTER_BUFFERS"),
	       io_uring_register_buffers(&a, &iov, 1), "trial register");
	answer(add(res, n, max, "UNREGISTER_BUFFERS"),
	       io_uring_unregister_buffers(&a), "trial unregister");
	answer(add(res, n, max, "REGISTER_BUFFERS2"),
	       io_uring_register_buffers_sparse(&a, 2), "trial sparse register");
	ret = io_uring_register_buffers_update_tag(&a, 0, &iov, NULL, 1);
	answer(add(res, n, max, "REGISTER_BUFFERS_UPDATE"), ret, "trial update");

	ca.src_fd = a.ring_fd;
	ret = sys_register(b.ring_fd, REG_CLONE_BUFFERS, &ca, 1);
	answer(add(res, n, max, "REGISTER_CLONE_BUFFERS"), ret, "trial clone");
	ca.flags = CLONE_DST_REPLACE;
	answer(add(res, n, max, "CLONE_BUFFERS: DST_REPLACE"),
	       ret < 0 ? ret : sys_register(b.ring_fd, REG_CLONE_BUFFERS, &ca, 1),
	       "clone with DST_REPLACE");
	/* older kernels reject non-zero bytes where src_off/dst_off/nr now are */
	ca.nr = 1;
	ca.dst_off = 1;
	answer(add(res, n, max, "CLONE_BUFFERS: src_off/dst_off/nr"),
	       ret < 0 ? ret : sys_register(b.ring_fd, REG_CLONE_BUFFERS, &ca, 1),
	       "partial clone (nr 1, dst_off 1)");
out:
	if (ok_a)
		io_uring_queue_exit(&a);
	if (ok_b)
		io_uring_queue_exit(&b);
}

/* A zero-copy send from a registered buffer, UDP to ourselves on loopback. */
static void probe_send_zc(struct probe_result *res, size_t *n, size_t max)
{
	struct probe_result *r = add(res, n, max, "SEND_ZC fixed buffer");
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	static char buf[4096] __attribute__((aligned(4096)));
	struct iovec iov = { buf, sizeof(buf) };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret = -EINVAL;

	if (s < 0 || io_uring_queue_init(4, &ring, 0)) {
		snprintf(r->how, sizeof(r->how), "no UDP socket or ring to try with");
		if (s >= 0)
			close(s);
		return;
	}
	if (bind(s, (void *)&sa, sizeof(sa)) || getsockname(s, (void *)&sa, &sl) ||
	    connect(s, (void *)&sa, sizeof(sa)) || io_uring_register_buffers(&ring, &iov, 1)) {
		snprintf(r->how, sizeof(r->how), "loopback setup failed: %s", strerror(errno));
		goto out;
	}
	io_uring_prep_send_zc_fixed(io_uring_get_sqe(&ring), s, buf, 64, 0, 0, 0);
	io_uring_submit(&ring);
	/* first CQE: the send's result; a notification may follow */
	if (!io_uring_wait_cqe(&ring, &cqe)) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	answer(r, ret, "SEND_ZC with IORING_RECVSEND_FIXED_BUF");
out:
	io_uring_queue_exit(&ring);
	close(s);
}

static void probe_no_mmap(struct probe_result *res, size_t *n, size_t max)
{
	struct probe_result *r = add(res, n, max, "SETUP_NO_MMAP");
	struct io_uring_params p = {};
	size_t len = 2 * 65536;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	if (mem == MAP_FAILED) {
		snprintf(r->how, sizeof(r->how), "mmap failed");
		return;
	}
	p.flags = SETUP_NO_MMAP;
	/* the rings and SQEs live in memory we hand in; liburing 2.3 still
	 * calls the user_addr fields resv2 */
	p.sq_off.resv2 = (unsigned long)mem;
	p.cq_off.resv2 = (unsigned long)(mem + 65536);
	fd = syscall(__NR_io_uring_setup, 4, &p);
	answer(r, fd < 0 ? -errno : fd, "io_uring_setup(IORING_SETUP_NO_MMAP)");
	if (fd >= 0) {
		snprintf(r->how, sizeof(r->how), "io_uring_setup(IORING_SETUP_NO_MMAP) succeeded");
		close(fd);
	}
	munmap(mem, len);
}

static void probe_btf_only(const struct kernel_info *ki, struct probe_result *res, size_t *n,
			   size_t max)
{
	struct probe_result *r;
	int64_t v;

	r = add(res, n, max, "REGISTER_MEM_REGION");
	r->yes = kbtf_enum_value(ki, "IORING_REGISTER_MEM_REGION", &v);
	snprintf(r->how, sizeof(r->how), r->yes ? "BTF: IORING_REGISTER_MEM_REGION = %lld" :
		 "BTF: no IORING_REGISTER_MEM_REGION enumerator", (long long)v);

	r = add(res, n, max, "URING_CMD fixed buffer target");
	glob_t g = {};
	bool dev = !glob("/dev/ng*", 0, NULL, &g) || !glob("/dev/ublkc*", GLOB_APPEND, NULL, &g);

	r->yes = dev && g.gl_pathc > 0;
	snprintf(r->how, sizeof(r->how), r->yes ? "device %s takes IORING_URING_CMD_FIXED" :
		 "needs an NVMe generic char device (/dev/ngXnY) or ublk; none here%s",
		 r->yes ? g.gl_pathv[0] : "");
	globfree(&g);

	/* Never merged: say so from the kernel's own BTF, never pretend. */
	r = add(res, n, max, "aio IOCTX_FLAG_FIXEDBUFS");
	r->yes = kbtf_has_func(ki, "__x64_sys_io_setup2") || kbtf_has_func(ki, "__se_sys_io_setup2");
	snprintf(r->how, sizeof(r->how), r->yes ? "BTF has io_setup2: an out-of-tree kernel" :
		 "absent: the 2018 aio fixed-buffer proposal (io_setup2) was superseded by io_uring");
	r = add(res, n, max, "IORING_OP_GET_BUF");
	r->yes = kbtf_enum_value(ki, "IORING_OP_GET_BUF", &v);
	snprintf(r->how, sizeof(r->how), r->yes ? "BTF has IORING_OP_GET_BUF: an out-of-tree kernel" :
		 "absent: BTF enum io_uring_op has no IORING_OP_GET_BUF (proposal not in mainline)");
}

size_t probe_uring(const struct kernel_info *ki, struct probe_result *res, size_t max)
{
	size_t n = 0;

	probe_register(res, &n, max);
	probe_opcodes(res, &n, max);
	probe_send_zc(res, &n, max);
	probe_no_mmap(res, &n, max);
	probe_btf_only(ki, res, &n, max);
	return n;
}
