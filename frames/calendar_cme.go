package frames

import "time"

// The CME Globex calendars. Every product group trades Sunday 17:00 to
// Friday 16:00 America/Chicago with a daily 16:00–17:00 halt; the session
// of trade date D opens at 17:00 the evening before (Monday's on Sunday).
// Globex does not open for New Year's Day and Christmas (a Saturday
// Christmas closes the Friday before, a Sunday one the Monday after) nor,
// outside the years listed in cmeGoodFridayShort, for Good Friday. On the
// other US holidays the groups differ:
//
//   - cme-equity (E-mini and micro equity index futures: ES, NQ, YM, RTY,
//     MES…): the holiday's session halts early, 10:30 CT until the CME
//     schedule change of spring 2014 and 12:00 CT since; the day after
//     Thanksgiving, Christmas Eve (Monday to Thursday) and July 3 when July 4
//     is a Tuesday to Friday close at 12:15 CT; Good Friday short sessions
//     (when the jobs report fell on it) close at 08:15 CT.
//   - cme-rates (Treasury and SOFR futures: ZN, ZB, ZF, SR3…): holiday
//     sessions halt at 12:00 CT in every year; the Friday before MLK,
//     Presidents' and Memorial Day (through 2015) and Labor Day (through
//     2014) closed at 15:15 CT; no July 3 early close; Good Friday short
//     sessions close at 10:15 CT.
//   - cme-fx (currency futures: 6E, 6J, 6B…): holiday sessions halt at
//     12:00 CT through 2021 and trade regular hours from 2022 (FX trades
//     through US holidays; CME's 6E tape of MLK Day 2024 runs to 16:00);
//     no July 3 early close; Good Friday short sessions from 2021 close at
//     10:15 CT.
//
// Sources: CME Group holiday calendars ("Holiday trading hours",
// cmegroup.com/tools-information/holiday-calendar.html) as tabulated by
// pandas_market_calendars (CMEGlobexEquities, CMEGlobexFixedIncome,
// CMEGlobexFX); CME Group notices for the unscheduled days in cmeAdHoc.
// Years before Globex carried these products (the 1990s) follow the same
// rules and are approximate.
var (
	// CMEEquity is CME Globex equity index futures.
	CMEEquity Calendar = newCME("cme-equity", cmeEquity)
	// CMEFX is CME Globex currency futures.
	CMEFX Calendar = newCME("cme-fx", cmeFX)
	// CMERates is CME Globex interest rate futures.
	CMERates Calendar = newCME("cme-rates", cmeRates)
	// CME is the "cme" calendar, the same rules as CMEEquity.
	CME Calendar = newCME("cme", cmeEquity)
)

type cmeGroup uint8

const (
	cmeEquity cmeGroup = iota
	cmeFX
	cmeRates
)

func newCME(name string, g cmeGroup) *ruleCalendar {
	return &ruleCalendar{name: name, loc: mustLoad("America/Chicago"), open: hm(17, 0), close: hm(16, 0),
		openDayBefore: true, year: func(y int) map[civilDate]dayRule { return cmeYear(y, g) }}
}

// cmeGoodFridayShort lists the Good Fridays on which Globex held a short
// session because the US employment report was released that morning
// (CME holiday calendars 2010, 2012, 2015, 2021, 2023). 2026 is expected
// (the March 2026 report is scheduled for Friday April 3, Good Friday) but
// CME's notice was not at hand: unsure. FX opened only from 2021.
var cmeGoodFridayShort = map[int]bool{2010: true, 2012: true, 2015: true, 2021: true, 2023: true, 2026: true}

// cmeHolidayHalt is the early halt of a US holiday's equity session:
// 10:30 CT until CME moved it to 12:00 CT in 2014 (MLK and Presidents' Day
// 2014 still at 10:30, Memorial Day 2014 at 12:00).
func cmeHolidayHalt(d civilDate) clock {
	if d.before(civilDate{2014, time.April, 1}) {
		return hm(10, 30)
	}
	return hm(12, 0)
}

func cmeYear(year int, g cmeGroup) map[civilDate]dayRule {
	days := map[civilDate]dayRule{}
	h := usHolidaysOf(year)
	h.each(func(d civilDate, name string) {
		switch {
		case d == h.newYear || d == h.christmas:
			days[d] = closedDay(name)
		case g == cmeEquity:
			days[d] = closeAt(cmeHolidayHalt(d), name)
		case g == cmeRates:
			days[d] = closeAt(hm(12, 0), name)
		case g == cmeFX && year < 2022 && d != h.juneteenth:
			days[d] = closeAt(hm(12, 0), name)
		}
	})
	switch {
	case !cmeGoodFridayShort[year] || (g == cmeFX && year < 2021):
		days[h.goodFriday] = closedDay("Good Friday")
	case g == cmeEquity:
		days[h.goodFriday] = closeAt(hm(8, 15), "Good Friday, employment report")
	default:
		days[h.goodFriday] = closeAt(hm(10, 15), "Good Friday, employment report")
	}

	early := func(d civilDate, c clock, note string) {
		if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
			return
		}
		if _, ok := days[d]; !ok {
			days[d] = closeAt(c, note)
		}
	}
	early(h.thanksgiving.addDays(1), hm(12, 15), "day after Thanksgiving")
	if year >= 1993 {
		early(civilDate{year, time.December, 24}, hm(12, 15), "Christmas Eve")
	}
	if jul4 := (civilDate{year, time.July, 4}).weekday(); g == cmeEquity && jul4 >= time.Tuesday && jul4 <= time.Friday {
		early(civilDate{year, time.July, 3}, hm(12, 15), "day before Independence Day")
	}
	if g == cmeRates {
		fridayBefore := func(d civilDate) civilDate { return d.addDays(-3) }
		if year <= 2015 {
			if h.mlk.Y != 0 {
				early(fridayBefore(h.mlk), hm(15, 15), "Friday before Martin Luther King Jr. Day")
			}
			early(fridayBefore(h.presidents), hm(15, 15), "Friday before Washington's Birthday")
			early(fridayBefore(h.memorial), hm(15, 15), "Friday before Memorial Day")
		}
		if year <= 2014 {
			early(fridayBefore(h.labor), hm(15, 15), "Friday before Labor Day")
		}
		applyAdHoc(days, year, cmeRatesAdHoc)
	}
	if g == cmeEquity {
		applyAdHoc(days, year, cmeEquityAdHoc)
	}
	return days
}

// cmeEquityAdHoc holds the equity group's unscheduled days. Unsure: CME's
// notices for the 1994, 2004 and 2007 days of mourning were not at hand and
// those sessions are left regular; the 9/11 closure of the equity index
// products is taken to match NYSE's.
var cmeEquityAdHoc = []adHoc{
	{ymd(2001, time.September, 11), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 12), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 13), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 14), closedDay("terrorist attack on the World Trade Center")},
	// Hurricane Sandy: the overnight sessions traded until 08:15 CT, when
	// NYSE would have opened.
	{ymd(2012, time.October, 29), closeAt(hm(8, 15), "hurricane Sandy")},
	{ymd(2012, time.October, 30), closeAt(hm(8, 15), "hurricane Sandy")},
	// National days of mourning: equity index futures halted at 08:30 CT,
	// NYSE's open.
	{ymd(2018, time.December, 5), closeAt(hm(8, 30), "national day of mourning, President G. H. W. Bush")},
	{ymd(2025, time.January, 9), closeAt(hm(8, 30), "national day of mourning, President Carter")},
}

// cmeRatesAdHoc: the one-off interest-rate closes of CME's calendars.
var cmeRatesAdHoc = []adHoc{
	{ymd(2009, time.April, 9), closeAt(hm(15, 15), "day before Good Friday")},
	{ymd(2010, time.July, 2), closeAt(hm(15, 15), "Friday before Independence Day")},
	{ymd(2010, time.December, 31), closeAt(hm(12, 15), "New Year's Eve")},
	{ymd(2011, time.July, 1), closeAt(hm(15, 15), "Friday before Independence Day")},
}
