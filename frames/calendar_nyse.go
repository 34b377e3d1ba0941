package frames

import "time"

// nyseHolidays holds NYSE full closures and early closes per year.
var nyseHolidays = &holidayTable{build: nyseYear}

// nyseSpecialClosures are unscheduled closures: national days of mourning,
// 9/11 and hurricane Sandy.
var nyseSpecialClosures = []civilDate{
	{1994, time.April, 27},     // President Nixon's funeral
	{2001, time.September, 11}, // 9/11, through the 14th
	{2001, time.September, 12},
	{2001, time.September, 13},
	{2001, time.September, 14},
	{2004, time.June, 11},    // President Reagan's funeral
	{2007, time.January, 2},  // President Ford's funeral
	{2012, time.October, 29}, // hurricane Sandy
	{2012, time.October, 30},
	{2018, time.December, 5}, // President G. H. W. Bush's funeral
	{2025, time.January, 9},  // President Carter's funeral
}

// nyseYear lists year's NYSE holidays under the exchange's rules: a holiday
// on Sunday moves to Monday and one on Saturday to Friday, except New Year's
// Day, which is not observed on the Friday before when it falls on a Saturday
// (that Friday closes a different year's books).
func nyseYear(year int) map[civilDate]dayKind {
	days := map[civilDate]dayKind{}
	closed := func(d civilDate) { days[d] = dayClosed }

	if ny := (civilDate{year, time.January, 1}); ny.weekday() == time.Sunday {
		closed(ny.addDays(1))
	} else if ny.weekday() != time.Saturday {
		closed(ny)
	}
	if year >= 1998 {
		closed(nthWeekday(year, time.January, time.Monday, 3)) // Martin Luther King Jr. Day
	}
	closed(nthWeekday(year, time.February, time.Monday, 3)) // Washington's Birthday
	closed(easter(year).addDays(-2))                        // Good Friday
	closed(nthWeekday(year, time.May, time.Monday, -1))     // Memorial Day
	if year >= 2022 {
		closed(observed(civilDate{year, time.June, 19})) // Juneteenth
	}
	july4 := observed(civilDate{year, time.July, 4})
	closed(july4)
	closed(nthWeekday(year, time.September, time.Monday, 1)) // Labor Day
	thanksgiving := nthWeekday(year, time.November, time.Thursday, 4)
	closed(thanksgiving)
	closed(observed(civilDate{year, time.December, 25}))
	for _, d := range nyseSpecialClosures {
		if d.Y == year {
			closed(d)
		}
	}

	// Early closes at 13:00: the eve of Independence Day and of Christmas
	// when that eve is a Monday to Thursday trading day, and the day after
	// Thanksgiving.
	early := func(d civilDate) {
		if _, ok := days[d]; !ok {
			days[d] = dayEarlyClose
		}
	}
	if eve := (civilDate{year, time.July, 3}); eve.weekday() >= time.Monday && eve.weekday() <= time.Thursday {
		early(eve)
	}
	early(thanksgiving.addDays(1))
	if eve := (civilDate{year, time.December, 24}); eve.weekday() >= time.Monday && eve.weekday() <= time.Thursday {
		early(eve)
	}
	return days
}

func nyseSession(d civilDate, loc *time.Location) (Session, bool) {
	if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
		return Session{}, false
	}
	closeHour := 16
	switch nyseHolidays.kind(d) {
	case dayClosed:
		return Session{}, false
	case dayEarlyClose:
		closeHour = 13
	}
	return Session{d.at(9, 30, loc), d.at(closeHour, 0, loc)}, true
}
