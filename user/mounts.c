// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "mounts.h"

static bool private_ns;
static bool tried_ns;
static const char *in_place[4];	/* mounted outside a namespace of our own */
static int nr_in_place;

static void unmount_in_place(void)
{
	/* busy (another tracer uses it): leave it, as it was found in use */
	while (nr_in_place)
		umount2(in_place[--nr_in_place], UMOUNT_NOFOLLOW);
}

/*
 * A new mount namespace, slave to the old one: mounts from outside still
 * arrive, ours never leave. Fails in a multi-threaded process (EINVAL) or
 * without CAP_SYS_ADMIN (EPERM).
 */
static void enter_private_ns(void)
{
	tried_ns = true;
	if (unshare(CLONE_NEWNS))
		return;
	if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL))
		return;	/* still in the new namespace, but mounts could propagate: do not use it */
	private_ns = true;
}

int ps_mount(const char *fstype, const char *target)
{
	if (!tried_ns)
		enter_private_ns();
	if (mount("nodev", target, fstype, 0, NULL))
		return -errno;
	if (!private_ns && nr_in_place < (int)(sizeof(in_place) / sizeof(in_place[0]))) {
		if (!nr_in_place)
			atexit(unmount_in_place);
		in_place[nr_in_place++] = target;
	}
	return 0;
}

bool ps_mounts_private(void)
{
	return private_ns;
}
