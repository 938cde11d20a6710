// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <sys/auxv.h>
#include <bpf/libbpf.h>
#include <json-c/json_c_version.h>
#include "version.h"

/*
 * The build writes PS_VERSION into $(GEN_OUTPUT)/ps_version.h (tools/dist/dist.mk).
 * A build by another rule that lacks it still compiles, and says so.
 */
#if __has_include("ps_version.h")
#include "ps_version.h"
#else
#define PS_VERSION "unknown (built without the version stamp)"
#endif

#if defined(__x86_64__)
#define BUILD_ARCH "x86_64"
#elif defined(__aarch64__)
#define BUILD_ARCH "aarch64"
#else
#define BUILD_ARCH "other"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)
#ifdef __clang__
#define BUILD_CC "clang " STR(__clang_major__) "." STR(__clang_minor__) "." \
	STR(__clang_patchlevel__)
#else
#define BUILD_CC "gcc " __VERSION__
#endif

/* Options that change how the binary behaves or what it costs. */
#if defined(__has_feature)		/* clang says it this way, gcc below */
#if __has_feature(address_sanitizer)
#define BUILD_ASAN
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(BUILD_ASAN)
#define BUILD_SANITIZE ", AddressSanitizer"
#else
#define BUILD_SANITIZE ""
#endif
#ifdef __OPTIMIZE__
#define BUILD_OPTIMIZE ""
#else
#define BUILD_OPTIMIZE ", unoptimized"
#endif

/*
 * Every attach flavour is compiled into the one BPF object; which one runs
 * is decided at run time by probing (`pinscope features` shows the choice).
 */
#define BUILD_BACKENDS "fentry kprobe tracepoint"

const char *ps_version(void)
{
	return PS_VERSION;
}

/*
 * The libraries are asked at run time, so a dynamic build names the ones
 * it loaded. Only a dynamic executable has an interpreter (ld.so), whose
 * load address AT_BASE is; a static one gets 0.
 */
void ps_print_version(FILE *out)
{
	fprintf(out, "pinscope %s\n", PS_VERSION);
	fprintf(out, "libbpf %u.%u, json-c %s\n", libbpf_major_version(),
		libbpf_minor_version(), json_c_version());
	fprintf(out, "build: %s, %s, backends %s, %s%s%s\n",
		getauxval(AT_BASE) ? "dynamic" : "static", BUILD_ARCH,
		BUILD_BACKENDS, BUILD_CC, BUILD_OPTIMIZE, BUILD_SANITIZE);
}
