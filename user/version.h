/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `pinscope --version`: what was built, from what, and how. */
#ifndef PS_VERSION_H
#define PS_VERSION_H

#include <stdio.h>

/* The version string the build stamped in (tools/version.sh). */
const char *ps_version(void);
/* Three lines: pinscope's version, its libraries', the build options. */
void ps_print_version(FILE *out);

#endif
