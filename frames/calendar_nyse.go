package frames

import "time"

// USEquity is the NYSE/NASDAQ regular session, 09:30–16:00 America/New_York,
// closed on weekends, NYSE holidays and unscheduled closures, with the early
// closes, late opens and market-wide halts of NYSE's published history. The
// rules hold from 1990 through the published schedule of 2027; later years
// follow the same rules. A daily bar stands for its trading day: a bar
// [t, t+period) is expected when it overlaps a session.
//
// Sources: NYSE, "History of New York Stock Exchange Holidays" and "New York
// Stock Exchange Special Closings, 1885–date" (revised through January
// 2011); NYSE's yearly "Holidays and Trading Hours" notices for 2011–2027;
// NYSE Rule 51 (Saturday holidays) and Rule 7.12 (market-wide circuit
// breakers).
var USEquity Calendar = &ruleCalendar{name: "us-equity", loc: mustLoad("America/New_York"),
	open: hm(9, 30), close: hm(16, 0), year: nyseYear}

// nyseEarlyClose is the customary early close: 14:00 until 1992, 13:00 from
// 1993 (Special Closings: "Closed at 2:00 pm" through Dec. 24, 1992,
// "Closed at 1:00 pm" from Nov. 26, 1993).
func nyseEarlyClose(year int) clock {
	if year < 1993 {
		return hm(14, 0)
	}
	return hm(13, 0)
}

// nyseYear lists year's NYSE holidays and special sessions.
func nyseYear(year int) map[civilDate]dayRule {
	days := map[civilDate]dayRule{}
	h := usHolidaysOf(year)
	// Holidays: NYSE closes for New Year's Day, MLK Day (all day from 1998;
	// a minute of silence before), Washington's Birthday, Good Friday (every
	// year since 1908), Memorial Day, Juneteenth (from 2022), Independence
	// Day, Labor Day, Thanksgiving and Christmas; a Sunday holiday moves to
	// Monday, a Saturday one to Friday (Rule 51) except New Year's Day.
	h.each(func(d civilDate, name string) { days[d] = closedDay(name) })
	days[h.goodFriday] = closedDay("Good Friday")

	early := func(d civilDate, note string) {
		if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
			return
		}
		if _, ok := days[d]; !ok {
			days[d] = closeAt(nyseEarlyClose(year), note)
		}
	}
	// Day after Thanksgiving: a full day in 1990 and 1991, closed at 14:00
	// in 1992 and at 13:00 every year since (Special Closings).
	if year >= 1992 {
		early(h.thanksgiving.addDays(1), "day after Thanksgiving")
	}
	// Christmas Eve on a Monday to Thursday closes early (14:00 in
	// 1990–1992, 13:00 since); on a Friday it is the observed holiday of a
	// Saturday Christmas.
	if eve := (civilDate{year, time.December, 24}); eve.weekday() <= time.Thursday {
		early(eve, "Christmas Eve")
	}
	// Independence Day: no early close before 1995. From 1995 July 3
	// closes early when it is a Monday, Tuesday or Thursday; when July 4 is
	// a Thursday the early close fell on Friday July 5 through 2012 (1996,
	// 2002) and on Wednesday July 3 from 2013 (2013, 2019, 2024).
	if year >= 1995 {
		jul3 := civilDate{year, time.July, 3}
		switch wd := jul3.weekday(); {
		case wd == time.Monday || wd == time.Tuesday || wd == time.Thursday:
			early(jul3, "day before Independence Day")
		case wd == time.Wednesday && year >= 2013:
			early(jul3, "day before Independence Day")
		case wd == time.Wednesday:
			early(civilDate{year, time.July, 5}, "day after Independence Day")
		}
	}
	applyAdHoc(days, year, nyseAdHoc)
	return days
}

// ymd is a civilDate, short for the tables.
func ymd(y int, m time.Month, day int) civilDate { return civilDate{y, m, day} }

// haltAt is a session with trading halted between from and to and
// closing at close (noClock: the regular close).
func haltAt(from, to, close clock, note string) dayRule {
	return dayRule{open: noClock, close: close, haltFrom: from, haltTo: to, note: note}
}

func hms(h, m, s int) clock { return hm(h, m) + clock(s) }

// nyseAdHoc holds NYSE's unscheduled closures, the Friday-after-Christmas
// early closes and the late openings, early and late closes and
// market-wide halts of the Special Closings list since 1990.
//
// Not modelled: outages of one venue, during which other venues kept
// trading some or all stocks, so a calendar for the whole US market cannot
// say what a series should hold — NYSE's power failure of 1990-11-23
// (09:41–11:15), its halts of 1991-10-22, 1998-10-26 and 2001-06-08, the
// NASDAQ SIP halt of 2013-08-22 and NYSE's outage of 2015-07-08 — and the
// 2003-09-11 minutes of silence inside the session.
//
// 1999-12-31 closed at 13:00 ("New Year's Eve"; the Special Closings PDF
// sets that line in another font, which is why pandas_market_calendars
// calls the day disputed).
var nyseAdHoc = []adHoc{
	{ymd(1990, time.December, 27), openAt(hm(11, 0), "opening delayed: Con Edison transformer explosion")},
	{ymd(1991, time.January, 17), openAt(hm(9, 31), "minute of silence for troops in the Persian Gulf")},
	{ymd(1991, time.February, 25), openAt(hm(9, 31), "minute of silence for troops in the Persian Gulf")},
	{ymd(1994, time.February, 11), closeAt(hm(14, 30), "snowstorm")},
	{ymd(1994, time.April, 27), closedDay("funeral of President Nixon")},
	{ymd(1995, time.December, 18), openAt(hm(10, 30), "opening delayed: computer systems trouble")},
	{ymd(1996, time.January, 8), dayRule{open: hm(11, 0), close: hm(14, 0), note: "snowstorm"}},
	{ymd(1997, time.October, 27), haltAt(hm(14, 35), hm(15, 5), hm(15, 30), "circuit breakers: halt 14:35–15:05, closed 15:30")},
	{ymd(1997, time.December, 26), closeAt(hm(13, 0), "Friday after Christmas")},
	{ymd(1999, time.December, 31), closeAt(hm(13, 0), "New Year's Eve (Y2K)")},
	{ymd(2001, time.September, 11), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 12), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 13), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 14), closedDay("terrorist attack on the World Trade Center")},
	{ymd(2001, time.September, 17), openAt(hm(9, 33), "reopening after 9/11, two minutes of silence")},
	{ymd(2001, time.October, 8), openAt(hm(9, 31), "minute of silence, Operation Enduring Freedom")},
	{ymd(2002, time.September, 11), openAt(hm(12, 0), "opening delayed: 9/11 anniversary")},
	{ymd(2003, time.March, 20), openAt(hm(9, 32), "two minutes of silence, Operation Iraqi Freedom")},
	{ymd(2003, time.December, 26), closeAt(hm(13, 0), "Friday after Christmas")},
	{ymd(2004, time.June, 7), openAt(hm(9, 32), "two minutes of silence for President Reagan")},
	{ymd(2004, time.June, 11), closedDay("national day of mourning, President Reagan")},
	{ymd(2005, time.June, 1), closeAt(hm(15, 56), "systems communications problem")},
	{ymd(2006, time.December, 27), openAt(hm(9, 32), "two minutes of silence for President Ford")},
	{ymd(2007, time.January, 2), closedDay("national day of mourning, President Ford")},
	{ymd(2009, time.July, 2), closeAt(hm(16, 15), "extended: orders hit by system irregularities")},
	{ymd(2012, time.October, 29), closedDay("hurricane Sandy")},
	{ymd(2012, time.October, 30), closedDay("hurricane Sandy")},
	{ymd(2018, time.December, 5), closedDay("national day of mourning, President G. H. W. Bush")},
	// Level 1 market-wide circuit breaker halts (S&P 500 down 7%), 15
	// minutes each, times to the second as reported by NYSE.
	{ymd(2020, time.March, 9), haltAt(hms(9, 34, 13), hms(9, 49, 13), noClock, "circuit breaker halt 09:34:13–09:49:13")},
	{ymd(2020, time.March, 12), haltAt(hms(9, 35, 43), hms(9, 50, 43), noClock, "circuit breaker halt 09:35:43–09:50:43")},
	{ymd(2020, time.March, 16), haltAt(hms(9, 30, 1), hms(9, 45, 1), noClock, "circuit breaker halt 09:30:01–09:45:01")},
	{ymd(2020, time.March, 18), haltAt(hms(12, 56, 17), hms(13, 11, 17), noClock, "circuit breaker halt 12:56:17–13:11:17")},
	{ymd(2025, time.January, 9), closedDay("national day of mourning, President Carter")},
}
