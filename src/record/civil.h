/* civil.h - private to src/record: the calendar arithmetic of the record parser, now the
 * shared txetl/calendar.h. These two names remain only for record.c; it can call
 * tx_days_from_civil and tx_month_days directly, and then this header goes. */
#ifndef TXETL_RECORD_CIVIL_H
#define TXETL_RECORD_CIVIL_H

#include "txetl/calendar.h"

static inline int32_t civil_days(int y, int m, int d)
{
    return tx_days_from_civil(y, m, d);
}

static inline int civil_month_days(int y, int m)
{
    return tx_month_days(y, m);
}

#endif
