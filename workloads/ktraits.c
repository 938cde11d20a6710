// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ktraits.h"

static bool struct_has_member(const struct btf *btf, const char *strct,
			      const char *member)
{
	int id = btf__find_by_name_kind(btf, strct, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;

	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

/*
 * io_mapped_ubuf.folio_shift came with multi-folio coalescing ("io_uring/
 * rsrc: store folio shift and mask into imu"); on 6.1 every 4 KiB page of a
 * buffer was a bvec of its own. (Kernels in between coalesced only a buffer
 * lying in one folio: not modelled.)
 */
bool kt_coalesces_folios(void)
{
	static int answer = -1;
	struct btf *btf;

	if (answer >= 0)
		return answer;
	libbpf_set_print(NULL);
	btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(btf)) {
		answer = 1;
		return answer;
	}
	answer = struct_has_member(btf, "io_mapped_ubuf", "folio_shift");
	btf__free(btf);
	return answer;
}
