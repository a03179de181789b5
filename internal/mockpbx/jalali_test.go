package mockpbx

import (
	"testing"
	"time"
)

func TestGregorianToJalali(t *testing.T) {
	tests := []struct {
		gy, gm, gd int
		want       [3]int
	}{
		{1979, 2, 11, [3]int{1357, 11, 22}},
		{2000, 2, 29, [3]int{1378, 12, 10}},
		{2021, 2, 28, [3]int{1399, 12, 10}}, // Simotel's 2021 sample record (_id 603b4144…)
		{2021, 3, 20, [3]int{1399, 12, 30}}, // 1399 is a leap year
		{2021, 3, 21, [3]int{1400, 1, 1}},
		{2023, 7, 17, [3]int{1402, 4, 26}}, // Simotel's 2023 sample record
		{2024, 3, 19, [3]int{1402, 12, 29}},
		{2024, 3, 20, [3]int{1403, 1, 1}},
		{2024, 9, 22, [3]int{1403, 7, 1}},
		{2025, 3, 20, [3]int{1403, 12, 30}},
		{2025, 3, 21, [3]int{1404, 1, 1}},
		{2025, 12, 31, [3]int{1404, 10, 10}},
	}
	for _, tc := range tests {
		y, m, d := gregorianToJalali(tc.gy, tc.gm, tc.gd)
		if [3]int{y, m, d} != tc.want {
			t.Errorf("%04d-%02d-%02d: got %d-%d-%d, want %v", tc.gy, tc.gm, tc.gd, y, m, d, tc.want)
		}
	}
}

func TestJalaliDateTime(t *testing.T) {
	// 2021-03-20 20:45 UTC is already 1400-01-01 00:15 in Tehran.
	if got := jalaliDateTime(time.Date(2021, 3, 20, 20, 45, 0, 0, time.UTC)); got != "1400-01-01 00:15:00" {
		t.Errorf("got %q", got)
	}
	if got := jalaliDateTime(time.Unix(0x603b4144, 0)); got != "1399-12-10 10:37:48" {
		t.Errorf("got %q", got)
	}
}
