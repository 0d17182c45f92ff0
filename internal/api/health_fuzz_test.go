package api

import (
	"net/url"
	"testing"
	"time"

	"onair/internal/health"
	"onair/internal/health/chart"
)

// FuzzHealthQuery: whatever query string a client sends, the health
// parameters either fail with a 400 naming a parameter, or are within
// their bounds.
func FuzzHealthQuery(f *testing.F) {
	for _, q := range []string{
		"", "metrics=NetworkIn,InputLossSeconds&tz=Europe/Sofia&width=640&height=360&period=1h",
		"tz=%2B0530&start=2026-12-02T10:00:00Z&end=2026-12-02T11:00:00Z", "tz=-03:00&period=7d&format=json",
		"tz=../../etc/passwd", "tz=Local", "width=0", "start=1764669600&period=15m", "period=99999999h", "tz=+1500",
		"metrics=,", "end=2026-12-02T10:00:00+05:30&period=30m", "format=gif",
	} {
		f.Add(q)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseHealthQuery(form, nil, now)
		if err != nil {
			he, ok := err.(*httpError)
			if !ok || he.status != 400 || he.field == "" {
				t.Fatalf("%q: %#v, want a 400 naming its parameter", raw, err)
			}
			return
		}
		if q.width < chart.MinSize || q.width > chart.MaxSize || q.height < chart.MinSize || q.height > chart.MaxSize {
			t.Fatalf("%q: %dx%d", raw, q.width, q.height)
		}
		if !q.to.After(q.from) || q.to.Sub(q.from) > maxHealthPeriod || q.loc == nil || len(q.metrics) == 0 {
			t.Fatalf("%q: range %s to %s, zone %v, metrics %v", raw, q.from, q.to, q.loc, q.metrics)
		}
		for _, m := range q.metrics {
			if _, ok := health.Lookup(m); !ok {
				t.Fatalf("%q: unknown metric %q accepted", raw, m)
			}
		}
	})
}
