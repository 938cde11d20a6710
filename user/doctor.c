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
	if (f->charge_measured && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "; %llu pages were charged before the charge that failed",
			 (unsigned long long)f->inside.charged_pages);
	return buf;
}

const char *doctor_explain(const struct reg_failure *f, char *buf, size_t len)
{
	const struct ps_diag *d = &f->diag;
	bool clone = f->opcode == PS_REG_CLONE_BUFFERS;

	switch (f->err) {
	case ENOMEM:
		return explain_enomem(f, buf, len);
	case EOPNOTSUPP:
	case EFAULT:
		if (d->file_index >= 0)
			return snprintf(buf, len, "buffer #%d is file-backed memory, which cannot be "
					"pinned long-term for io_uring (refused as %s)", d->file_index,
					strerrorname_np(f->err)), buf;
		if (d->max_len > ONE_GIB)
			return snprintf(buf, len, "buffer #%d is %llu bytes, over the 1 GiB limit per "
					"buffer", d->max_len_index, (unsigned long long)d->max_len), buf;
		if (f->err == EFAULT)
			return snprintf(buf, len, "EFAULT: an argument or buffer address is not "
					"readable memory"), buf;
		break;
	case EINVAL:
		if (!clone && d->nr_iovecs > PS_MAX_REG_BUFFERS)
			return snprintf(buf, len, "%u buffers, over the %u a ring can register",
					d->nr_iovecs, PS_MAX_REG_BUFFERS), buf;
		if (!clone && f->opcode != PS_UNREG_BUFFERS && !d->nr_iovecs)
			return snprintf(buf, len, "no buffers given (nr_args %u)", f->nr_args), buf;
		if (clone)
			return snprintf(buf, len, "clone arguments refused (flags 0x%x, source table "
					"of %u): this kernel may lack src_off/dst_off/nr or the flag",
					d->flags, d->src_table_nr), buf;
		break;
	case EBUSY:
		if (clone)
			return snprintf(buf, len, "the destination ring already has %u buffers: clone "
					"with IORING_REGISTER_DST_REPLACE or unregister first", d->table_nr),
				buf;
		return snprintf(buf, len, "the ring already has a table of %u buffers: unregister "
				"it first, or replace slots with REGISTER_BUFFERS_UPDATE", d->table_nr),
			buf;
	case ENXIO:
		if (clone)
			return snprintf(buf, len, "the clone source has no registered buffers"), buf;
		return snprintf(buf, len, "the ring has no registered buffers"), buf;
	case EOVERFLOW:
		return snprintf(buf, len, "clone offsets and count overflow (source table of %u "
				"slots)", d->src_table_nr), buf;
	}
	snprintf(buf, len, "%s: %s", strerrorname_np(f->err) ?: "error", strerror(f->err));
	return buf;
}

json_object *doctor_json(const struct reg_failure *f)
{
	const struct ps_diag *d = &f->diag;
	json_object *o = json_object_new_object();
	char buf[512];

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
	json_object_object_add(o, "file_backed_buffer", d->file_index < 0 ? NULL :
			       json_object_new_int(d->file_index));
	json_object_object_add(o, "table_slots_before", json_object_new_uint64(d->table_nr));
	json_object_object_add(o, "charged_before_failure", f->charge_measured ?
			       json_object_new_uint64(f->inside.charged_pages) : NULL);
	json_object_object_add(o, "why", json_object_new_string(doctor_explain(f, buf, sizeof(buf))));
	return o;
}
