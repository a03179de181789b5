package pbxapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	resp := func(code int, after string) *http.Response {
		h := http.Header{}
		if after != "" {
			h.Set("Retry-After", after)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	if d := backoff(lo, hi, 0, resp(429, "0")); d != 0 {
		t.Errorf("Retry-After 0 on 429: %v", d)
	}
	if d := backoff(lo, hi, 0, resp(503, "60")); d != hi {
		t.Errorf("Retry-After 60 on 503 with max 1s: %v", d)
	}
	// Retry-After is only honoured on 429 and 503.
	for attempt := range 40 {
		for _, r := range []*http.Response{nil, resp(502, "60"), resp(503, ""), resp(429, "junk")} {
			d := backoff(lo, hi, attempt, r)
			ceiling := min(lo<<min(attempt, 30), hi)
			if d < lo/2 || d > ceiling {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, lo/2, ceiling)
			}
		}
	}
}

func TestCheckRetry(t *testing.T) {
	// A nested call shares the budget of the call it is part of.
	outer, b := (&Client{maxRetries: 2}).withBudget(context.Background())
	if inner, b2 := (&Client{maxRetries: 2}).withBudget(outer); b2 != b || inner != outer {
		t.Error("withBudget replaced the budget of an enclosing call")
	}
	idem := withPolicy(context.Background(), "users/search", true)
	add := withPolicy(context.Background(), "users/add", false)
	cancelled, cancel := context.WithCancel(idem)
	cancel()
	c := &Client{maxRetries: 1}
	spent, b := c.withBudget(idem)
	b.spend()
	b.spend()
	left, b2 := c.withBudget(add)
	b2.spend()
	tests := []struct {
		name string
		ctx  context.Context
		code int
		err  error
		want bool
	}{
		{"503 add", add, 503, nil, true},
		{"429 add", add, 429, nil, true},
		{"502 add", add, 502, nil, false},
		{"504 add", add, 504, nil, false},
		{"502 search", idem, 502, nil, true},
		{"504 search", idem, 504, nil, true},
		{"500 search", idem, 500, nil, false},
		{"200 search", idem, 200, nil, false},
		{"409 search", idem, 409, nil, false},
		{"EOF search", idem, 0, errors.New("EOF"), true},
		{"EOF add", add, 0, errors.New("EOF"), false},
		{"cancelled", cancelled, 503, nil, false},
		{"503 search, budget spent", spent, 503, nil, false},
		{"EOF search, budget spent", spent, 0, errors.New("EOF"), false},
		{"429 add, one attempt left", left, 429, nil, true},
	}
	for _, tt := range tests {
		var resp *http.Response
		if tt.err == nil {
			resp = &http.Response{StatusCode: tt.code}
		}
		got, _ := checkRetry(tt.ctx, resp, tt.err)
		if got != tt.want {
			t.Errorf("%s: retry = %v, want %v", tt.name, got, tt.want)
		}
	}
}
