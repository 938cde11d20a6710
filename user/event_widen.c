// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "event_widen.h"

const void *event_widen(const void *data, size_t *size, struct ps_event *wide)
{
	__u32 type;
	__s64 ret;

	if (*size < PS_EVENT_REG_OK_SIZE || *size >= sizeof(*wide))
		return data;
	/* copied out: the record is shorter than the struct that names its fields */
	memcpy(&type, (const char *)data + offsetof(struct ps_event, type), sizeof(type));
	memcpy(&ret, (const char *)data + offsetof(struct ps_event, ret), sizeof(ret));
	/* a failure always comes whole, with the doctor's numbers */
	if (type != PS_EV_REGISTER || ret < 0)
		return data;
	memset(wide, 0, sizeof(*wide));
	memcpy(wide, data, PS_EVENT_REG_OK_SIZE);
	*size = sizeof(*wide);
	return wide;
}
