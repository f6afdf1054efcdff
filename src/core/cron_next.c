/*
 * core/cron_next.c: the due times of a parsed cron expression in a time
 * zone; see cron.h for the rules.
 *
 * The search walks the zone's periods of constant offset forward from the
 * given instant. Within one period local time runs evenly with real time,
 * so the first matching local minute there is found by calendar
 * arithmetic alone (next_local: skipping whole months, then days, then
 * hours, then minutes, never minute by minute over years). Between
 * periods two things happen:
 *  - clocks go forward: the local minutes skipped over are due at the
 *    first instant after the gap, the transition itself; several of them
 *    give that one run;
 *  - clocks go back: local times that already happened are not due again;
 *    "lo", the smallest local time not yet reached, only ever grows.
 * Because the answer is always strictly after the instant asked about,
 * and these rules depend only on the zone, calling again with the previous
 * answer gives the next due time, never the same one.
 */
#include "core/cron.h"

#include "util/civil.h"

#define DAY 86400LL
/* How far ahead cron_next looks: 30 years. */
#define HORIZON (30LL * 366 * DAY)
/* Instants more than ~35,000 years from 1970 are refused, which keeps all
 * the arithmetic below far from overflow. */
#define MAX_MS (1LL << 50)

static bool day_matches(const cron_t *c, int64_t days, int d)
{
	bool dm = c->mdays >> d & 1;
	bool wm = c->wdays >> civil_weekday(days) & 1;
	/* cron(5): with both day fields restricted, either one will do. */
	return (c->mday_any || c->wday_any) ? dm && wm : dm || wm;
}

/* The first local minute at or after L (local seconds as if UTC, a whole
 * minute) that the expression names, or INT64_MAX when there is none
 * before local time limit. */
static int64_t next_local(const cron_t *c, int64_t L, int64_t limit)
{
	int64_t days = civil_floor_div(L, DAY), y;
	int sec = (int)(L - days * DAY), h = sec / 3600, mi = sec % 3600 / 60, m, d;
	civil_from_days(days, &y, &m, &d);
	while (days * DAY <= limit) {
		int mlen = civil_month_days(y, m);
		int next_d = d + 1; /* where to go when this day will not do */
		if (!(c->months >> m & 1)) {
			next_d = mlen + 1;
		} else if ((c->mday_any || c->wday_any) && !(c->mdays >> d & 1)) {
			/* Both must match: jump to the next day of the month
			 * the day-of-month set names. */
			uint32_t rest = c->mdays >> d;
			next_d = rest ? d + __builtin_ctz(rest) : mlen + 1;
		} else if (day_matches(c, days, d)) {
			uint32_t hs = c->hours >> h;
			if (hs) {
				int nh = h + __builtin_ctz(hs);
				if (nh != h)
					mi = 0;
				h = nh;
				uint64_t ms = c->minutes >> mi;
				if (ms)
					return days * DAY + h * 3600 + (mi + __builtin_ctzll(ms)) * 60;
				if (h < 23) {
					h++;
					mi = 0;
					continue;
				}
			}
		}
		if (next_d > mlen) {
			next_d = mlen + 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		days += next_d - d;
		d = next_d > mlen ? 1 : next_d;
		h = mi = 0;
	}
	return INT64_MAX;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The latest local time the clocks showed before instant t: after clocks
 * went back that is more than the local time at t - 1. Offsets stay
 * within 26 hours, so a jump back ends within three days. */
static int64_t local_reached(const tz_t *tz, int64_t t)
{
	int64_t reached = t - 1 + tz_offset_at(tz, t - 1);
	for (int64_t tr = tz_next_transition(tz, t - 3 * DAY); tr < t; tr = tz_next_transition(tz, tr))
		reached = max64(reached, tr - 1 + tz_offset_at(tz, tr - 1));
	return reached;
}

static int64_t ceil_minute(int64_t L)
{
	return civil_floor_div(L + 59, 60) * 60;
}

int64_t cron_next(const cron_t *c, const tz_t *tz, int64_t after_ms)
{
	if (after_ms < -MAX_MS || after_ms > MAX_MS)
		return -1;
	int64_t t = civil_floor_div(after_ms, 1000) + 1; /* strictly after */
	int64_t end = t + HORIZON, local_end = end + 2 * DAY;
	int32_t o = tz_offset_at(tz, t);
	int64_t lo = local_reached(tz, t) + 1;
	int64_t L = next_local(c, ceil_minute(lo), local_end);
	/* t itself may end a gap whose minutes were not due before t. */
	if (L < t + o)
		return t * 1000;
	for (;;) {
		lo = max64(lo, t + o);
		if (L < lo)
			L = next_local(c, ceil_minute(lo), local_end);
		if (L == INT64_MAX)
			return -1;
		int64_t t1 = tz_next_transition(tz, t);
		if (t1 == INT64_MAX || L < t1 + o) {
			int64_t due = L - o;
			return due > end ? -1 : due * 1000;
		}
		if (t1 > end)
			return -1;
		int32_t o2 = tz_offset_at(tz, t1);
		if (o2 > o && L < t1 + o2)
			return t1 * 1000; /* L falls in the gap */
		lo = max64(lo, t1 + o);
		t = t1;
		o = o2;
	}
}
