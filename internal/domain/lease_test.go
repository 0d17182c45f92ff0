package domain

import (
	"errors"
	"testing"
	"time"
)

func TestLeaseDescribe(t *testing.T) {
	now := time.Date(2024, 3, 10, 8, 0, 10, 0, time.UTC)
	full := Lease{Name: "server", Holder: "a", HTTP: "http://live-1.example.com:8080", RTMP: "rtmp://live-1.example.com:1935",
		Host: "live-1", PID: 4242, Renewed: now.Add(-1234 * time.Millisecond)}
	cases := []struct {
		name string
		l    Lease
		want string
	}{
		{"every field", full, "HTTP http://live-1.example.com:8080, RTMP rtmp://live-1.example.com:1935, host live-1, pid 4242, last beat 1.2s ago"},
		{"a holder whose clock is ahead", Lease{HTTP: "h", RTMP: "r", Host: "x", PID: 1, Renewed: now.Add(time.Second)},
			"HTTP h, RTMP r, host x, pid 1, last beat 0s ago"},
		{"empty fields", Lease{PID: 7, Renewed: now.Add(-9 * time.Second)}, "HTTP (none), RTMP (none), host (none), pid 7, last beat 9s ago"},
	}
	for _, c := range cases {
		if got := c.l.Describe(now); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
	err := error(&LeaseHeldError{Holder: full, Now: now})
	var held *LeaseHeldError
	if !errors.As(err, &held) || err.Error() != "another onair server runs on this store: "+full.Describe(now) {
		t.Errorf("LeaseHeldError: %v", err)
	}
}
