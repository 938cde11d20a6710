/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands; each returns a documented exit code (errors.h). */
#ifndef PS_COMMANDS_H
#define PS_COMMANDS_H

#include "env.h"

int cmd_features(struct env *env);
int cmd_stat(struct env *env);
int cmd_hist(struct env *env);
int cmd_trace(struct env *env);
int cmd_check(struct env *env);
int cmd_exporter(struct env *env);
int cmd_top(struct env *env);

#endif
