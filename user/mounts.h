/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tracefs and securityfs where they are not mounted, without side effects:
 * pinscope mounts them in a mount namespace of its own (gone when it exits,
 * never seen by the traced command or anyone else); where it cannot make
 * one, it mounts in place and unmounts at exit.
 */
#ifndef PS_MOUNTS_H
#define PS_MOUNTS_H

#include <stdbool.h>

/* Mounts fstype at target: 0 or -errno. */
int ps_mount(const char *fstype, const char *target);
/* Whether pinscope's mounts are private to it (else undone at exit). */
bool ps_mounts_private(void);

#endif
