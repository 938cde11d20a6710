// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "doctor.h"
#include "names.h"

#define PAGE_SIZE_4K	4096ULL
#define ONE_GIB		(1ULL << 30)
#define UNLIMITED	(~0ULL)

void failure_from_event(struct reg_failure *f, const struct ps_event *e, bool charge_measured)
{
	memset(f, 0, sizeof(*f));
	f->ring = e->ring;
	f->pid = e->pid;
	memcpy(f->comm, e->comm, sizeof(f->comm));
	f->opcode = e->opcode;
	f->err = errno_of(e->ret);
	f->nr_args = e->nr_args;
	f->ts_ns = e->ts_ns;
	f->diag = e->diag;
	f->inside = e->inside;
	f->charge_measured = charge_measured;
}

static const char *explain_enomem(const struct reg_failure *f, char *buf, size_t len)
{
	const struct ps_diag *d = &f->diag;
	unsigned long long limit = d->memlock_limit;
	unsigned long long limit_pages = limit / PAGE_SIZE_4K;
	int n;

	if (d->locked_pages < 0)
		return snprintf(buf, len, "ENOMEM, but nothing is charged to RLIMIT_MEMLOCK here (the "
				"ring's creator holds CAP_IPC_LOCK): the kernel ran out of memory "
				"pinning %llu pages", (unsigned long long)d->req_pages), buf;
	if (limit == UNLIMITED)
		return snprintf(buf, len, "ENOMEM with RLIMIT_MEMLOCK unlimited: the kernel ran out of "
				"memory pinning %llu pages", (unsigned long long)d->req_pages), buf;
	n = snprintf(buf, len, "RLIMIT_MEMLOCK is %llu KiB (%llu pages); the user had %lld pages "
		     "locked before the call, which asked for %llu more", limit / 1024, limit_pages,
		     (long long)d->locked_pages, (unsigned long long)d->req_pages);
	if (d->unaligned_extra && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " (%llu of them only because buffers are not page "
			      "aligned)", (unsigned long long)d->unaligned_extra);
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, ": %lld + %llu > %llu",
			      (long long)d->locked_pages, (unsigned long long)d->req_pages, limit_pages);
	if (d->iovecs_scanned < d->nr_iovecs && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " (pages of the first %u of %u buffers: the rest "
			      "could not be read)", d->iovecs_scanned, d->nr_iovecs);
	if (f->charge_measured && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "; %llu pages were charged before the charge that failed",
			 (unsigned long long)f->inside.charged_pages);
	return buf;
}

static const char *const fault_why[PS_BF_NR] = {
	[PS_BF_NULL_LEN] = "has a NULL address and a length",
	[PS_BF_OVER_1G] = "is over the 1 GiB limit per buffer",
	[PS_BF_OVERFLOW] = "wraps around the address space",
	[PS_BF_UNMAPPED] = "is not (entirely) mapped",
	[PS_BF_READONLY] = "is in a mapping without write permission",
	[PS_BF_IO_PFN] = "is device memory (VM_IO/VM_PFNMAP), which has no pages to pin",
	[PS_BF_FILE_SHARED] = "is a shared mapping of a file, which cannot be pinned "
			      "long-term",
	[PS_BF_FILE_PRIVATE] = "is a private mapping of a file, which this kernel does not "
			       "pin long-term",
};

/*
 * The buffer the kernel stopped at: the first whose fault gives this errno.
 * A private file mapping fails only where the kernel refuses file-backed
 * memory as such (EOPNOTSUPP, 6.1); a shared one with EFAULT since the
 * long-term pin rules (6.5), with EOPNOTSUPP before.
 */
static int failing_buffer(const struct ps_diag *d, int err)
{
	int best = -1;

	for (int k = 0; k < PS_BF_NR; k++) {
		bool fits = err == EOPNOTSUPP ? k == PS_BF_FILE_SHARED || k == PS_BF_FILE_PRIVATE :
			    err == EOVERFLOW ? k == PS_BF_OVERFLOW :
			    err == EFAULT && k != PS_BF_FILE_PRIVATE && k != PS_BF_OVERFLOW;

		if (fits && d->fault[k].index >= 0 &&
		    (best < 0 || d->fault[k].index < d->fault[best].index))
			best = k;
	}
	return best;
}

/* First file-backed buffer, for the JSON key; -1: none. */
static int file_backed_index(const struct ps_diag *d)
{
	int a = d->fault[PS_BF_FILE_SHARED].index, b = d->fault[PS_BF_FILE_PRIVATE].index;

	return a < 0 ? b : b < 0 || a < b ? a : b;
}

static const char *explain_buffer(const struct ps_diag *d, int k, int err, char *buf, size_t len)
{
	const struct ps_buf_fault_at *at = &d->fault[k];

	snprintf(buf, len, "buffer #%d (%llu bytes at 0x%llx) %s (refused as %s)", at->index,
		 (unsigned long long)at->len, (unsigned long long)at->addr, fault_why[k],
		 strerrorname_np(err));
	return buf;
}

#define MAX_SLOTS	PS_MAX_REG_BUFFERS
#define CLONE_SRC_REG	1U
#define CLONE_REPLACE	2U

/*
 * A refused clone, from its arguments and the two tables, checked in the
 * kernel's order (io_register_clone_buffers, then io_clone_buffers).
 */
static const char *explain_clone(const struct reg_failure *f, char *buf, size_t len)
{
	const struct ps_diag *d = &f->diag;
	unsigned int known = d->clone_has_range ? CLONE_SRC_REG | CLONE_REPLACE : CLONE_SRC_REG;
	unsigned int nr = d->nr ? d->nr : d->src_table_nr;
	unsigned long long dst_end = (unsigned long long)d->nr + d->dst_off;
	unsigned long long src_end = (unsigned long long)nr + d->src_off;

	if (f->err == EINVAL && !d->clone_known)
		return snprintf(buf, len, "this kernel has no IORING_REGISTER_CLONE_BUFFERS "
				"(opcode %u; it came in 6.12)", PS_REG_CLONE_BUFFERS), buf;
	if (f->err == EINVAL && (d->flags & ~known))
		return snprintf(buf, len, "clone flags 0x%x: this kernel knows only 0x%x "
				"(SRC_REGISTERED%s)", d->flags, known,
				d->clone_has_range ? ", DST_REPLACE" : ""), buf;
	if (f->err == EINVAL && d->clone_pad_set)
		return snprintf(buf, len, d->clone_has_range ?
				"the clone's reserved words (pad) are not zero" :
				"this kernel's clone has no src_off/dst_off/nr: they are reserved "
				"words there and must be 0 (src_off %u, dst_off %u, nr %u)",
				d->src_off, d->dst_off, d->nr), buf;
	if (f->err == EINVAL && !d->nr && (d->src_off || d->dst_off))
		return snprintf(buf, len, "src_off %u / dst_off %u given with nr 0 (the whole "
				"table): offsets need a count", d->src_off, d->dst_off), buf;
	if (f->err == EINVAL && d->nr > d->src_table_nr)
		return snprintf(buf, len, "nr %u is larger than the source table (%u slots)",
				d->nr, d->src_table_nr), buf;
	if (f->err == EINVAL && d->nr > MAX_SLOTS)
		return snprintf(buf, len, "nr %u is over the %u slots a table can have", d->nr,
				MAX_SLOTS), buf;
	if (f->err == EOVERFLOW && dst_end > UINT32_MAX)
		return snprintf(buf, len, "dst_off %u + nr %u overflows 32 bits", d->dst_off,
				d->nr), buf;
	if (f->err == EINVAL && dst_end > MAX_SLOTS)
		return snprintf(buf, len, "dst_off %u + nr %u = %llu slots, over the %u a table "
				"can have", d->dst_off, d->nr, dst_end, MAX_SLOTS), buf;
	if (f->err == EOVERFLOW && src_end > UINT32_MAX)
		return snprintf(buf, len, "src_off %u + nr %u overflows 32 bits", d->src_off,
				nr), buf;
	/* past the source's end: EINVAL on earlier kernels, EOVERFLOW on 6.18 */
	if ((f->err == EINVAL || f->err == EOVERFLOW) && src_end > d->src_table_nr)
		return snprintf(buf, len, "src_off %u + nr %u = %llu runs past the source table "
				"(%u slots)", d->src_off, nr, src_end, d->src_table_nr), buf;
	if (f->err == EINVAL && (d->flags & CLONE_SRC_REG))
		return snprintf(buf, len, "src_fd %u is not a registered ring index (0-15) with "
				"a ring behind it", d->src_fd), buf;
	if (f->err == EBUSY)
		return snprintf(buf, len, "the destination ring already has %u buffers: clone "
				"with IORING_REGISTER_DST_REPLACE or unregister first", d->table_nr),
			buf;
	if (f->err == ENXIO)
		return snprintf(buf, len, "the clone source has no registered buffers"), buf;
	if (f->err == EBADF)
		return snprintf(buf, len, "src_fd %u is not an open file", d->src_fd), buf;
	if (f->err == EOPNOTSUPP)
		return snprintf(buf, len, "src_fd %u is not an io_uring", d->src_fd), buf;
	return NULL;
}

const char *doctor_explain(const struct reg_failure *f, char *buf, size_t len)
{
	const struct ps_diag *d = &f->diag;
	int k;

	if (f->opcode == PS_REG_CLONE_BUFFERS) {
		if (explain_clone(f, buf, len))
			return buf;
		goto generic;
	}
	switch (f->err) {
	case ENOMEM:
		return explain_enomem(f, buf, len);
	case EOPNOTSUPP:
	case EFAULT:
	case EOVERFLOW:
		if ((k = failing_buffer(d, f->err)) >= 0)
			return explain_buffer(d, k, f->err, buf, len);
		if (f->err == EFAULT)
			return snprintf(buf, len, "EFAULT: the iovec array or a buffer is not "
					"readable memory"), buf;
		break;
	case EINVAL:
		if (d->nr_iovecs > PS_MAX_REG_BUFFERS)
			return snprintf(buf, len, "%u buffers, over the %u a ring can register",
					d->nr_iovecs, PS_MAX_REG_BUFFERS), buf;
		if (f->opcode != PS_UNREG_BUFFERS && !d->nr_iovecs)
			return snprintf(buf, len, "no buffers given (nr_args %u)", f->nr_args), buf;
		break;
	case EBUSY:
		return snprintf(buf, len, "the ring already has a table of %u buffers: unregister "
				"it first, or replace slots with REGISTER_BUFFERS_UPDATE", d->table_nr),
			buf;
	case ENXIO:
		return snprintf(buf, len, "the ring has no registered buffers"), buf;
	}
generic:
	snprintf(buf, len, "%s: %s", strerrorname_np(f->err) ?: "error", strerror(f->err));
	return buf;
}

json_object *doctor_json(const struct reg_failure *f)
{
	const struct ps_diag *d = &f->diag;
	json_object *o = json_object_new_object();
	char buf[512];
	int k;

	json_object_object_add(o, "ring", json_object_new_int(f->ring));
	json_object_object_add(o, "pid", json_object_new_int(f->pid));
	json_object_object_add(o, "opcode", json_object_new_string(reg_opcode_name(f->opcode) ?: "?"));
	json_object_object_add(o, "errno", json_object_new_string(errno_name(f->err, buf, sizeof(buf))));
	json_object_object_add(o, "memlock_limit_bytes", d->memlock_limit == UNLIMITED ? NULL :
			       json_object_new_uint64(d->memlock_limit));
	json_object_object_add(o, "locked_pages_before", d->locked_pages < 0 ? NULL :
			       json_object_new_int64(d->locked_pages));
	json_object_object_add(o, "requested_pages", json_object_new_uint64(d->req_pages));
	json_object_object_add(o, "unaligned_extra_pages", json_object_new_uint64(d->unaligned_extra));
	json_object_object_add(o, "buffers", json_object_new_uint64(d->nr_iovecs));
	json_object_object_add(o, "largest_buffer", json_object_new_uint64(d->max_len));
	json_object_object_add(o, "buffers_scanned", json_object_new_uint64(d->iovecs_scanned));
	json_object_object_add(o, "file_backed_buffer", file_backed_index(d) < 0 ? NULL :
			       json_object_new_int(file_backed_index(d)));
	k = failing_buffer(d, f->err);
	json_object_object_add(o, "failing_buffer", k < 0 || f->opcode == PS_REG_CLONE_BUFFERS ?
			       NULL : json_object_new_int(d->fault[k].index));
	json_object_object_add(o, "table_slots_before", json_object_new_uint64(d->table_nr));
	json_object_object_add(o, "charged_before_failure", f->charge_measured ?
			       json_object_new_uint64(f->inside.charged_pages) : NULL);
	json_object_object_add(o, "why", json_object_new_string(doctor_explain(f, buf, sizeof(buf))));
	return o;
}
