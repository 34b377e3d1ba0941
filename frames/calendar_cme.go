package frames

import "time"

// cmeHolidays holds the trading days on which Globex does not open at all.
// Other exchange holidays (MLK, Presidents, Memorial, Juneteenth,
// Independence, Labor, Thanksgiving) keep a shortened Globex session whose
// hours differ by product, so they are treated as ordinary days.
var cmeHolidays = &holidayTable{build: cmeYear}

func cmeYear(year int) map[civilDate]dayKind {
	days := map[civilDate]dayKind{}
	for _, d := range []civilDate{{year, time.January, 1}, {year, time.December, 25}} {
		// A Sunday holiday moves to Monday; a Saturday one needs nothing as
		// Globex is shut on Saturdays anyway.
		if d.weekday() == time.Sunday {
			d = d.addDays(1)
		}
		days[d] = dayClosed
	}
	return days
}

// cmeSession is trading day d's Globex session: 17:00 Chicago the evening
// before to 16:00 on d, Monday's opening on Sunday evening.
func cmeSession(d civilDate, loc *time.Location) (Session, bool) {
	if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
		return Session{}, false
	}
	if cmeHolidays.kind(d) == dayClosed {
		return Session{}, false
	}
	return Session{d.addDays(-1).at(17, 0, loc), d.at(16, 0, loc)}, true
}
