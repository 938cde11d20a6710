// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Section 3: the clone-buffers patch's headline, reproduced. Registration
 * time against size for each page size, clone time against the number of
 * buffers, and both extrapolated to the seed's 900 GiB.
 *
 * User-side times come from an untraced run: pinscope walks the buffer
 * table inside the syscall, which shows in the wall time of clones. Its
 * kernel-side latency (sys_enter to the io_uring_register tracepoint, before
 * the walk) comes from a second, traced run, matched to the same rings by
 * (pid, fd).
 */
#include <math.h>
#include <string.h>
#include "report.h"

/* The seed: IORING_REGISTER_CLONE_BUFFERS' cover letter, 1 GiB huge pages. */
#define SEED_GIB		900.0
#define SEED_REG_MS		738.0
#define SEED_MS_PER_GIB		0.82
#define SEED_CLONE_US		17.0

static const struct kind {
	const char *name, *desc;
} kinds[] = {
	{ "1g", "1 GiB hugetlb pages" },
	{ "2m", "2 MiB hugetlb pages" },
	{ "4k", "4 KiB pages" },
};
#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

struct fit {
	double a, b;	/* y = a + b x */
	bool ok;
};

struct kind_result {
	bool ran;
	struct fit user, kernel;	/* ms against GiB */
	double top_gib, top_reg_ms, top_clone_us;
	size_t top_buffers;
};

static json_object *find_run(struct report *r, const char *name, int traced)
{
	json_object *recs[MAX_RECS];
	size_t n = recs_of(r, "register", recs, MAX_RECS);

	for (size_t i = 0; i < n; i++) {
		json_object *t = get(recs[i], "traced");

		if (!str_is(recs[i], "name", name))
			continue;
		if (traced < 0 ? get(recs[i], "skipped") != NULL :
		    t && json_object_get_boolean(t) == traced)
			return recs[i];
	}
	return NULL;
}

/* The traced point for the same size, and pinscope's average for one of its rings. */
static double kernel_ns(json_object *traced, json_object *bare_pt, const char *fd_key,
			const char *reg)
{
	json_object *pts = get(traced, "points"), *doc = get(traced, "pinscope");
	char path[64];

	for (size_t i = 0; pts && i < json_object_array_length(pts); i++) {
		json_object *p = json_object_array_get_idx(pts, i);
		json_object *ring;

		if (num(p, "bytes") != num(bare_pt, "bytes") ||
		    num(p, "buffers") != num(bare_pt, "buffers"))
			continue;
		ring = ring_of(doc, num(p, "pid"), num(p, fd_key));
		snprintf(path, sizeof(path), "%s.latency_ns.avg", reg);
		return ring ? num(ring, path) : NAN;
	}
	return NAN;
}

/* The traced run's own wall time for the same point: pinscope's walk included. */
static double traced_wall_us(json_object *traced, json_object *bare_pt)
{
	json_object *pts = get(traced, "points");

	for (size_t i = 0; pts && i < json_object_array_length(pts); i++) {
		json_object *p = json_object_array_get_idx(pts, i);

		if (num(p, "buffers") == num(bare_pt, "buffers") &&
		    num(p, "bytes") == num(bare_pt, "bytes"))
			return median_of(get(p, "clone_ns")) / 1e3;
	}
	return NAN;
}

static void fit(const double *x, const double *y, size_t n, struct fit *f)
{
	f->ok = fit_line(x, y, n, &f->a, &f->b);
	if (!f->ok)
		f->a = f->b = NAN;
}

static void kind_section(struct report *r, const struct kind *k, struct kind_result *kr,
			 json_object *arr)
{
	json_object *bare = find_run(r, k->name, 0), *traced = find_run(r, k->name, 1);
	json_object *skip = find_run(r, k->name, -1), *o = json_object_new_object();
	json_object *pts = get(bare, "points"), *jpts = json_object_new_array();
	double gib[64], user[64], kern[64];
	size_t n = 0;
	char b[8][32];

	json_object_object_add(o, "kind", json_object_new_string(k->name));
	json_object_array_add(arr, o);
	fprintf(r->md, "### %s\n\n", k->desc);
	if (skip || !bare || !traced) {
		const char *why = skip ? str(skip, "skipped") : "the run is missing";

		if (!skip)
			harness_error(r, "register %s: %s", k->name, why);
		fprintf(r->md, "Not measured: %s.\n\n", why);
		json_object_object_add(o, "skipped", json_object_new_string(why));
		json_object_put(jpts);
		return;
	}
	fprintf(r->md, "| size | buffers | register ms | kernel ms | re-register ms | kernel ms "
		"| clone µs | kernel µs | register ÷ clone |\n"
		"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < json_object_array_length(pts) && n < 64; i++) {
		json_object *p = json_object_array_get_idx(pts, i), *jp = json_object_new_object();
		double bytes = num(p, "bytes"), reg = median_of(get(p, "register_ns")) / 1e6;
		double rereg = median_of(get(p, "reregister_ns")) / 1e6;
		double clone = median_of(get(p, "clone_ns")) / 1e3;
		double kreg = kernel_ns(traced, p, "fd_register", "register") / 1e6;
		double krereg = kernel_ns(traced, p, "fd_reregister", "register") / 1e6;
		double kclone = kernel_ns(traced, p, "fd_clone", "clone") / 1e3;

		if (isnan(kreg) || isnan(kclone))
			harness_error(r, "register %s %.0f MiB: pinscope has no latency for its rings",
				      k->name, bytes / (1 << 20));
		gib[n] = bytes / (1ULL << 30);
		user[n] = reg;
		kern[n++] = kreg;
		kr->top_gib = gib[n - 1];
		kr->top_reg_ms = reg;
		kr->top_clone_us = clone;
		kr->top_buffers = num(p, "buffers");
		fprintf(r->md, "| %s MiB | %.0f | %s | %s | %s | %s | %s | %s | %s× |\n",
			fmt(b[0], 32, "%.0f", bytes / (1 << 20)), num(p, "buffers"),
			fmt(b[1], 32, "%.2f", reg), fmt(b[2], 32, "%.2f", kreg),
			fmt(b[3], 32, "%.2f", rereg), fmt(b[4], 32, "%.2f", krereg),
			fmt(b[5], 32, "%.1f", clone), fmt(b[6], 32, "%.1f", kclone),
			fmt(b[7], 32, "%.0f", reg * 1e3 / clone));
		json_object_object_add(jp, "bytes", jnum(bytes));
		json_object_object_add(jp, "buffers", jnum(num(p, "buffers")));
		json_object_object_add(jp, "register_ms", jnum(reg));
		json_object_object_add(jp, "register_kernel_ms", jnum(kreg));
		json_object_object_add(jp, "reregister_ms", jnum(rereg));
		json_object_object_add(jp, "reregister_kernel_ms", jnum(krereg));
		json_object_object_add(jp, "clone_us", jnum(clone));
		json_object_object_add(jp, "clone_kernel_us", jnum(kclone));
		json_object_object_add(jp, "speedup", jnum(reg * 1e3 / clone));
		json_object_array_add(jpts, jp);
	}
	fit(gib, user, n, &kr->user);
	fit(gib, kern, n, &kr->kernel);
	kr->ran = n > 0;
	fprintf(r->md, "\nLeast-squares line: %s ms/GiB + %s ms (user side), %s ms/GiB "
		"(kernel side, pinscope).\n\n", fmt(b[0], 32, "%.3f", kr->user.b),
		fmt(b[1], 32, "%.2f", kr->user.a), fmt(b[2], 32, "%.3f", kr->kernel.b));
	json_object_object_add(o, "ms_per_gib", jnum(kr->user.b));
	json_object_object_add(o, "intercept_ms", jnum(kr->user.a));
	json_object_object_add(o, "ms_per_gib_kernel", jnum(kr->kernel.b));
	json_object_object_add(o, "points", jpts);
}

struct sweep {
	struct fit user, kern;	/* µs against buffers */
	double clone900_us;	/* measured at 900 buffers, else from the line */
	bool measured900;
};

/*
 * Clone time against buffers. A clone takes a reference per buffer whatever
 * its size, so 900 small buffers stand for the seed's 900 × 1 GiB.
 */
static void clone_sweep(struct report *r, struct sweep *sw, json_object *doc)
{
	struct fit *user = &sw->user, *kern = &sw->kern;

	json_object *bare = find_run(r, "clone_sweep", 0), *traced = find_run(r, "clone_sweep", 1);
	json_object *pts = get(bare, "points"), *o = json_object_new_object();
	double x[64], y[64], ky[64];
	size_t n = 0;
	char b[6][32];

	fprintf(r->md, "### Clone time against the number of buffers (4 KiB each)\n\n");
	user->ok = kern->ok = false;
	user->a = user->b = kern->a = kern->b = sw->clone900_us = NAN;
	if (!bare || !traced) {
		harness_error(r, "register clone_sweep: the run is missing");
		fprintf(r->md, "Not measured.\n\n");
		json_object_put(o);
		return;
	}
	fprintf(r->md, "| buffers | register µs | re-register µs | clone µs | kernel µs "
		"| wall µs traced | ns per buffer cloned |\n"
		"| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < json_object_array_length(pts) && n < 64; i++) {
		json_object *p = json_object_array_get_idx(pts, i);
		double bufs = num(p, "buffers"), clone = median_of(get(p, "clone_ns")) / 1e3;

		x[n] = bufs;
		y[n] = clone;
		if (bufs == SEED_GIB) {
			sw->clone900_us = clone;
			sw->measured900 = true;
		}
		ky[n] = kernel_ns(traced, p, "fd_clone", "clone") / 1e3;
		fprintf(r->md, "| %.0f | %s | %s | %s | %s | %s | %s |\n", bufs,
			fmt(b[0], 32, "%.1f", median_of(get(p, "register_ns")) / 1e3),
			fmt(b[1], 32, "%.1f", median_of(get(p, "reregister_ns")) / 1e3),
			fmt(b[2], 32, "%.1f", clone), fmt(b[3], 32, "%.1f", ky[n]),
			fmt(b[4], 32, "%.1f", traced_wall_us(traced, p)),
			fmt(b[5], 32, "%.1f", clone * 1e3 / bufs));
		n++;
	}
	fit(x, y, n, user);
	fit(x, ky, n, kern);
	if (!sw->measured900)
		sw->clone900_us = user->a + user->b * SEED_GIB;
	fprintf(r->md, "\nLeast-squares line: %s ns per buffer + %s µs (user side); "
		"%s ns per buffer (kernel side).\n\n", fmt(b[0], 32, "%.1f", user->b * 1e3),
		fmt(b[1], 32, "%.1f", user->a), fmt(b[2], 32, "%.1f", kern->b * 1e3));
	json_object_object_add(o, "ns_per_buffer", jnum(user->b * 1e3));
	json_object_object_add(o, "fixed_us", jnum(user->a));
	json_object_object_add(o, "ns_per_buffer_kernel", jnum(kern->b * 1e3));
	json_object_object_add(doc, "clone_sweep", o);
}

static void seed_table(struct report *r, const struct kind_result *kr, const struct sweep *sw,
		       json_object *doc)
{
	const struct fit *cl = &sw->user, *kcl = &sw->kern;
	double clone900 = sw->clone900_us;	/* µs: 900 buffers, of any size */
	json_object *arr = json_object_new_array();
	char b[4][48];

	fprintf(r->md, "### Side by side with the seed\n\n"
		"The seed: 500 × 1 GiB registered in 409 ms, 900 in 738 ms (0.82 ms/GiB), the "
		"900 GiB cloned in 17 µs (25,000–40,000×). Registration of 900 GiB extrapolated from "
		"the lines above; the clone of 900 buffers %s (clone line: %s ns per buffer, kernel "
		"side %s).\n\n"
		"| | seed (1 GiB pages) |",
		sw->measured900 ? "measured in the sweep" : "extrapolated from the clone line",
		fmt(b[0], 48, "%.1f", cl->b * 1e3), fmt(b[1], 48, "%.1f", kcl->b * 1e3));
	for (size_t k = 0; k < NR_KINDS; k++)
		fprintf(r->md, " %s |", kinds[k].desc);
	fprintf(r->md, "\n| --- | ---: |");
	for (size_t k = 0; k < NR_KINDS; k++)
		fprintf(r->md, " ---: |");

#define ROW(label, seed, ...) do {						\
		fprintf(r->md, "\n| %s | %s |", label, seed);			\
		for (size_t k = 0; k < NR_KINDS; k++) {				\
			if (!kr[k].ran) { fprintf(r->md, " - |"); continue; }	\
			fprintf(r->md, " " __VA_ARGS__);			\
			fprintf(r->md, " |");					\
		}								\
	} while (0)
	ROW("registration, ms/GiB", "0.82", "%s", fmt(b[0], 48, "%.3f", kr[k].user.b));
	ROW("… kernel side (pinscope)", "-", "%s", fmt(b[0], 48, "%.3f", kr[k].kernel.b));
	ROW("largest measured: register", "900 GiB: 738 ms", "%.3g GiB: %s ms", kr[k].top_gib,
	    fmt(b[0], 48, "%.1f", kr[k].top_reg_ms));
	ROW("largest measured: clone", "900 bufs: 17 µs", "%zu bufs: %s µs", kr[k].top_buffers,
	    fmt(b[0], 48, "%.1f", kr[k].top_clone_us));
	ROW("measured speedup", "25,000–40,000×", "%s×",
	    fmt(b[0], 48, "%.0f", kr[k].top_reg_ms * 1e3 / kr[k].top_clone_us));
	ROW("900 GiB register (extrap.)", "738 ms", "%s ms",
	    fmt(b[0], 48, "%.0f", kr[k].user.a + kr[k].user.b * SEED_GIB));
	ROW(sw->measured900 ? "clone of 900 buffers" : "900 GiB clone (extrap.)", "17 µs",
	    "%s µs", fmt(b[0], 48, "%.1f", clone900));
	ROW("speedup at 900 GiB (extrap.)", "43,400× (738 ms / 17 µs)", "%s×",
	    fmt(b[0], 48, "%.0f", (kr[k].user.a + kr[k].user.b * SEED_GIB) * 1e3 / clone900));
#undef ROW
	fprintf(r->md, "\n\n");

	for (size_t k = 0; k < NR_KINDS; k++) {
		json_object *o = json_object_new_object();
		double reg900 = kr[k].user.a + kr[k].user.b * SEED_GIB;

		json_object_object_add(o, "kind", json_object_new_string(kinds[k].name));
		json_object_object_add(o, "ms_per_gib", jnum(kr[k].ran ? kr[k].user.b : NAN));
		json_object_object_add(o, "measured_speedup", jnum(kr[k].ran ?
			kr[k].top_reg_ms * 1e3 / kr[k].top_clone_us : NAN));
		json_object_object_add(o, "register_900gib_ms", jnum(kr[k].ran ? reg900 : NAN));
		json_object_object_add(o, "speedup_900gib", jnum(kr[k].ran ?
			reg900 * 1e3 / clone900 : NAN));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "clone_900_buffers_us", jnum(clone900));
	json_object_object_add(doc, "clone_900_measured", json_object_new_boolean(sw->measured900));
	json_object_object_add(doc, "seed", json_object_new_string(
		"900 x 1 GiB: registered 738 ms (0.82 ms/GiB), cloned 17 us"));
	json_object_object_add(doc, "vs_seed", arr);
}

void section_register(struct report *r)
{
	json_object *doc = json_object_new_object(), *arr = json_object_new_array();
	json_object *hp[8];
	struct kind_result kr[NR_KINDS] = {};
	struct sweep sw = {};
	size_t nhp = recs_of(r, "hugepages", hp, 8);

	fprintf(r->md, "## 3. Registration against clone (the seed's headline)\n\n"
		"Ring A registers the buffers (1 GiB each, or one smaller buffer), ring B registers "
		"the same memory again, ring C clones A's table. User side: wall time around each "
		"io_uring_register(2) in an untraced run, median of the repetitions; kernel side: "
		"`pinscope stat` on a second run (sys_enter to the io_uring_register tracepoint, "
		"average over the same calls). pinscope sums the table inside the syscall after "
		"that point: the clone sweep's \"wall µs traced\" column shows what that adds.\n\n");
	for (size_t i = 0; i < nhp; i++)
		fprintf(r->md, "%s hugetlb pool for the run: wanted %.0f MiB, %.0f MiB free.%s",
			str(hp[i], "kind"), num(hp[i], "wanted_mib"), num(hp[i], "free_mib"),
			i + 1 == nhp ? " Pools restored after the run.\n\n" : " ");
	for (size_t k = 0; k < NR_KINDS; k++)
		kind_section(r, &kinds[k], &kr[k], arr);
	json_object_object_add(doc, "kinds", arr);
	clone_sweep(r, &sw, doc);
	seed_table(r, kr, &sw, doc);
	json_object_object_add(r->doc, "register", doc);
}
