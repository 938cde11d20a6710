/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal test harness: ASSERT_* print both values when they differ. */
#ifndef PS_UNIT_H
#define PS_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int unit_failed;		/* failures in the running test */

#define ASSERT_EQ(actual, expected, what)					\
	do {									\
		unsigned long long __a = (actual), __e = (expected);		\
		if (__a != __e) {						\
			printf("  %s:%d %s: got %llu, expected %llu\n",		\
			       __FILE__, __LINE__, what, __a, __e);		\
			unit_failed++;						\
		}								\
	} while (0)

#define ASSERT_STREQ(actual, expected, what)					\
	do {									\
		const char *__a = (actual), *__e = (expected);			\
		if (!__a || strcmp(__a, __e)) {					\
			printf("  %s:%d %s: got '%s', expected '%s'\n",		\
			       __FILE__, __LINE__, what, __a ? __a : "(null)", __e);	\
			unit_failed++;						\
		}								\
	} while (0)

#define ASSERT_TRUE(cond, what) ASSERT_EQ(!!(cond), 1, what)

struct env;
/* env_parse with the rejected lines' messages (fd 1 and 2) kept out of sight */
int unit_quiet_parse(struct env *env, int argc, char **argv, const char *allowed, bool *help);

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#endif
