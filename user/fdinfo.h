/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rings through /proc: every kernel lists an io_uring fd's registered
 * buffers in /proc/PID/fdinfo/FD ("UserBufs:\t4" and one "    0: 0xADDR/LEN"
 * line per slot, "<none>" for an empty one). Where the look iterators cannot
 * load, this is how pinscope finds the rings that existed before it, with
 * slots, buffers, bytes and pages (huge pages, accounting and sharing are
 * not in that file).
 */
#ifndef PS_FDINFO_H
#define PS_FDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pinscope.h"

struct fdinfo_ring {
	pid_t pid;
	int fd;
	char comm[PS_COMM_LEN];
	struct ps_table_sum table;	/* slots, buffers, bytes, pages */
	bool complete;	/* every slot the UserBufs line announced was listed */
};

/*
 * Parses the text of one io_uring fdinfo file into out->table.
 * 0, or -EINVAL when it is not an io_uring fdinfo (no UserBufs line).
 */
int fdinfo_parse(const char *text, size_t len, struct fdinfo_ring *out);

/*
 * Appends the io_uring rings of process pid to *rings (*nr entries, growing
 * *cap). 0, or a negative errno (-ESRCH: the process is gone).
 */
int fdinfo_scan_pid(pid_t pid, struct fdinfo_ring **rings, size_t *nr, size_t *cap);
/* The same for every process, or those for which wanted(pid) is true. */
int fdinfo_scan_all(bool (*wanted)(pid_t pid, void *cookie), void *cookie,
		    struct fdinfo_ring **rings, size_t *nr, size_t *cap);

#endif
