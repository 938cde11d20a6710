// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for pinscope's user-space pieces; runs without BPF or root. */
#include <stdio.h>
#include "unit.h"

int unit_failed;

void test_hist_slots(void);
void test_hist_render(void);
void test_hist_opcodes(void);
void test_fmt(void);
void test_names(void);
void test_stat_json(void);
void test_env_parse(void);
void test_ranges(void);
void test_ranges_clone_pins(void);
void test_ranges_clone_record(void);
void test_ranges_gone(void);
void test_ranges_batched(void);
void test_event_widen(void);
void test_doctor(void);
void test_verdict_missed_runs(void);
void test_kallsyms(void);
void test_fdinfo(void);
void test_ring_series(void);
void test_render_prom(void);
void test_cli_pids(void);
void test_cli_json_spellings(void);
void test_cli_printable(void);
void test_cli_wrap(void);
void test_cli_json_oom(void);
void test_cli_json_utf8(void);
void test_cli_btf_messages(void);

static const struct unit_test tests[] = {
	{ "hist_slots", test_hist_slots },
	{ "hist_render", test_hist_render },
	{ "hist_opcodes", test_hist_opcodes },
	{ "fmt", test_fmt },
	{ "names", test_names },
	{ "stat_json", test_stat_json },
	{ "env_parse", test_env_parse },
	{ "ranges", test_ranges },
	{ "ranges_clone_pins", test_ranges_clone_pins },
	{ "ranges_clone_record", test_ranges_clone_record },
	{ "ranges_gone", test_ranges_gone },
	{ "ranges_batched", test_ranges_batched },
	{ "event_widen", test_event_widen },
	{ "doctor", test_doctor },
	{ "verdict_missed_runs", test_verdict_missed_runs },
	{ "kallsyms", test_kallsyms },
	{ "fdinfo", test_fdinfo },
	{ "ring_series", test_ring_series },
	{ "render_prom", test_render_prom },
	{ "cli_pids", test_cli_pids },
	{ "cli_json_spellings", test_cli_json_spellings },
	{ "cli_printable", test_cli_printable },
	{ "cli_wrap", test_cli_wrap },
	{ "cli_json_oom", test_cli_json_oom },
	{ "cli_json_utf8", test_cli_json_utf8 },
	{ "cli_btf_messages", test_cli_btf_messages },
};

int main(void)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		unit_failed = 0;
		tests[i].fn();
		printf("%s unit/%s\n", unit_failed ? "FAIL" : "PASS", tests[i].name);
		unit_failed ? failed++ : passed++;
	}
	printf("%d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
