/*
 * util/civil.c: Gregorian calendar arithmetic; see civil.h. Days are
 * counted in 400-year eras of 146097 days, with years starting on March 1
 * so that the leap day is the last day of a year and needs no special case.
 */
#include "util/civil.h"

int64_t civil_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t civil_floor_mod(int64_t a, int64_t b)
{
	return a - civil_floor_div(a, b) * b;
}

int64_t civil_to_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = civil_floor_div(y, 400);
	int64_t yoe = y - era * 400;                        /* 0..399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* from March 1 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;                 /* 719468: 0000-03-01 to 1970-01-01 */
}

void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = civil_floor_div(days, 146097);
	int64_t doe = days - era * 146097;                                   /* 0..146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
	int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11, March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int civil_weekday(int64_t days)
{
	return (int)civil_floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
}

bool civil_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int civil_month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && civil_leap(y) ? 29 : days[m - 1];
}
