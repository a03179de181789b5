package mockpbx

import (
	"fmt"
	"time"
)

// iranTime is Iran Standard Time. Iran has not observed daylight saving time since 2022,
// so a fixed zone matches Asia/Tehran without needing the tz database.
var iranTime = time.FixedZone("IRST", 3*3600+1800)

// jalaliDateTime formats t like Simotel's user "date": the Jalali (Solar Hijri) calendar date
// and the wall-clock time in Tehran, "YYYY-MM-DD HH:MM:SS".
func jalaliDateTime(t time.Time) string {
	t = t.In(iranTime)
	y, m, d := gregorianToJalali(t.Year(), int(t.Month()), t.Day())
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, m, d, t.Hour(), t.Minute(), t.Second())
}

// gregorianToJalali converts a proleptic Gregorian date to the arithmetic (33-year cycle)
// Jalali calendar, which agrees with the astronomical calendar from 1178 to 1633 AP
// (1799-2254 CE). Months 1-6 have 31 days, 7-11 have 30, Esfand has 29 or 30.
func gregorianToJalali(gy, gm, gd int) (jy, jm, jd int) {
	daysBeforeMonth := [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}
	gy2 := gy
	if gm > 2 {
		gy2 = gy + 1
	}
	// Days since the Jalali epoch offset used by the cycle arithmetic below.
	days := 355666 + 365*gy + (gy2+3)/4 - (gy2+99)/100 + (gy2+399)/400 + gd + daysBeforeMonth[gm-1]
	jy = -1595 + 33*(days/12053)
	days %= 12053
	jy += 4 * (days / 1461)
	days %= 1461
	if days > 365 {
		jy += (days - 1) / 365
		days = (days - 1) % 365
	}
	if days < 186 {
		return jy, 1 + days/31, 1 + days%31
	}
	return jy, 7 + (days-186)/30, 1 + (days-186)%30
}
