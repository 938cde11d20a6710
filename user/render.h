/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Renderers over one struct report. Each output format is one more
 * function here, never another way of collecting data.
 */
#ifndef PS_RENDER_H
#define PS_RENDER_H

#include <stdio.h>
#include "json_safe.h"
#include "report.h"
#include "verdict.h"

/* failed registrations and why (the doctor) */
void render_failures_text(FILE *out, const struct report *r);
/* stat */
void render_stat_text(FILE *out, const struct report *r, int top);
json_object *render_stat_json(const struct report *r);
/* hist */
void render_hist_text(FILE *out, const struct report *r, bool header);
json_object *render_hist_json(const struct report *r);
/* adds the "histograms" array to an existing document */
void render_hist_json_into(json_object *doc, const struct report *r);
/* check */
void render_check_text(FILE *out, const struct report *r, const struct verdict *v);
json_object *render_check_json(const struct report *r, const struct verdict *v);
/* pieces the renderers share */
/* the command and its exit status, or the -p processes */
void render_targets_text(FILE *out, const struct report *r);
void render_targets_json(json_object *doc, const struct report *r);
json_object *render_header_json(const struct report *r);
const char *hist_title(const struct hist_report *h, char *buf, size_t len);
/* prints a JSON document followed by a newline */
void render_json_print(FILE *out, json_object *doc, bool pretty);

#endif
