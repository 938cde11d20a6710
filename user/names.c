// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "pinscope.h"

const char *reg_opcode_name(uint32_t opcode)
{
	switch (opcode) {
	case PS_REG_BUFFERS:		return "REGISTER_BUFFERS";
	case PS_UNREG_BUFFERS:		return "UNREGISTER_BUFFERS";
	case PS_REG_BUFFERS2:		return "REGISTER_BUFFERS2";
	case PS_REG_BUFFERS_UPDATE:	return "REGISTER_BUFFERS_UPDATE";
	case PS_REG_CLONE_BUFFERS:	return "REGISTER_CLONE_BUFFERS";
	}
	return NULL;
}

/* name, or the number printed by fmt (one %lld) into buf when there is none */
static const char *or_number(const char *name, char *buf, size_t len, const char *fmt,
			     long long n)
{
	if (name)
		return name;
	snprintf(buf, len, fmt, n);
	return buf;
}

const char *reg_opcode_label(uint32_t opcode, char *buf, size_t len)
{
	return or_number(reg_opcode_name(opcode), buf, len, "REGISTER_OP_%lld", opcode);
}

/* uapi enum io_uring_op, in order (values are ABI and never change). */
static const char *const sqe_ops[] = {
	"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED",
	"POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG",
	"TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL", "LINK_TIMEOUT",
	"CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX",
	"READ", "WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2",
	"EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE",
	"SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
	"MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET",
	"URING_CMD", "SEND_ZC", "SENDMSG_ZC", "READ_MULTISHOT", "WAITID",
	"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL",
	"FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
	"WRITEV_FIXED", "PIPE",
};

const char *sqe_opcode_name(uint32_t opcode, char *buf, size_t len)
{
	if (opcode < sizeof(sqe_ops) / sizeof(sqe_ops[0]))
		return sqe_ops[opcode];
	snprintf(buf, len, "OP_%u", opcode);
	return buf;
}

int errno_of(int64_t ret)
{
	if (ret >= 0)
		return 0;
	return ret < -INT_MAX ? INT_MAX : (int)-ret;
}

const char *errno_name(int err, char *buf, size_t len)
{
	return or_number(strerrorname_np(err), buf, len, "E%lld", err);
}

/* IORING_SETUP_* bit names (uapi, bit n = 1U << n). */
static const char *const setup_bits[] = {
	"IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ",
	"R_DISABLED", "SUBMIT_ALL", "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128",
	"CQE32", "SINGLE_ISSUER", "DEFER_TASKRUN", "NO_MMAP",
	"REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL",
};

const char *setup_flag_names(uint32_t flags, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned bit = 0; bit < 32 && used < len; bit++) {
		char tmp[16];
		const char *name;

		if (!(flags & (1U << bit)))
			continue;
		if (bit < sizeof(setup_bits) / sizeof(setup_bits[0])) {
			name = setup_bits[bit];
		} else {
			snprintf(tmp, sizeof(tmp), "BIT%u", bit);
			name = tmp;
		}
		used += snprintf(buf + used, len - used, "%s%s", used ? "|" : "", name);
	}
	return buf;
}
