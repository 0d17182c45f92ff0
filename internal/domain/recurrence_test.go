package domain_test

import (
	"slices"
	"testing"
	"time"

	"onair/internal/domain"
)

// at parses an RFC 3339 time, for tables.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr(t time.Time) *time.Time { return &t }

func daily(start string, minutes int, end string) *domain.Schedule {
	return &domain.Schedule{StartDateTime: start, Duration: minutes, Recurrence: &domain.Recurrence{Unit: "DAY", EndDate: end}}
}

func weekly(start string, minutes int, end string, days ...string) *domain.Schedule {
	return &domain.Schedule{StartDateTime: start, Duration: minutes, Recurrence: &domain.Recurrence{Unit: "WEEK", Days: days, EndDate: end}}
}

func once(start string, minutes int) *domain.Schedule {
	return &domain.Schedule{StartDateTime: start, Duration: minutes}
}

// all lists every occurrence of s, through NextOccurrence, up to 100.
func all(s *domain.Schedule) []time.Time {
	var out []time.Time
	o, ok := s.NextOccurrence(time.Time{})
	for ; ok && len(out) < 100; o, ok = s.NextOccurrence(o) {
		out = append(out, o)
	}
	return out
}

func times(ss ...string) []time.Time {
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		out[i] = at(s)
	}
	return out
}

func TestOccurrences(t *testing.T) {
	// 2026-12-01 is a Tuesday.
	cases := []struct {
		name string
		s    *domain.Schedule
		want []time.Time
	}{
		{"no recurrence: the start alone", once("2026-12-01T18:00:00Z", 60), times("2026-12-01T18:00:00Z")},
		{"daily through endDate inclusive", daily("2026-12-01T18:00:00Z", 60, "2026-12-04"), times(
			"2026-12-01T18:00:00Z", "2026-12-02T18:00:00Z", "2026-12-03T18:00:00Z", "2026-12-04T18:00:00Z")},
		{"daily ending on the start day", daily("2026-12-01T18:00:00Z", 60, "2026-12-01"), times("2026-12-01T18:00:00Z")},
		{"daily, a start in another zone is its UTC time", daily("2026-12-01T20:30:00+02:00", 60, "2026-12-02"), times(
			"2026-12-01T18:30:00Z", "2026-12-02T18:30:00Z")},
		{"daily at 23:58: endDate is the last start day, the run may end after it",
			daily("2026-12-30T23:58:00Z", 10, "2026-12-31"), times("2026-12-30T23:58:00Z", "2026-12-31T23:58:00Z")},
		{"weekly MON,WED from a Tuesday: first on the next listed day, Wednesday",
			weekly("2026-12-01T09:00:00Z", 30, "2026-12-14", "MON", "WED"), times(
				"2026-12-02T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-09T09:00:00Z", "2026-12-14T09:00:00Z")},
		{"weekly SAT from a Tuesday: the first Saturday, at the start's time of day",
			weekly("2026-12-01T21:15:00Z", 30, "2026-12-12", "SAT"), times(
				"2026-12-05T21:15:00Z", "2026-12-12T21:15:00Z")},
		{"weekly on the start's own weekday", weekly("2026-12-01T09:00:00Z", 30, "2026-12-22", "TUE"), times(
			"2026-12-01T09:00:00Z", "2026-12-08T09:00:00Z", "2026-12-15T09:00:00Z", "2026-12-22T09:00:00Z")},
		{"weekly, endDate before the second listed day", weekly("2026-12-01T09:00:00Z", 30, "2026-12-06", "TUE", "MON"), times(
			"2026-12-01T09:00:00Z")},
		{"weekly across a year end, starting on a listed day", weekly("2026-12-28T12:00:00Z", 30, "2027-01-06", "FRI", "MON"), times(
			"2026-12-28T12:00:00Z", "2027-01-01T12:00:00Z", "2027-01-04T12:00:00Z")},
		{"daily across February of a leap year", daily("2028-02-28T06:00:00.250Z", 5, "2028-03-01"), times(
			"2028-02-28T06:00:00.25Z", "2028-02-29T06:00:00.25Z", "2028-03-01T06:00:00.25Z")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.s.Validate("schedule"); err != nil {
				t.Fatalf("the table's schedule is invalid: %v", err)
			}
			if got := all(c.s); !slices.EqualFunc(got, c.want, time.Time.Equal) {
				t.Errorf("occurrences\n got %v\nwant %v", got, c.want)
			}
			// LatestOccurrence agrees: at each occurrence and just before the next.
			for i, o := range c.want {
				if l, ok := c.s.LatestOccurrence(o); !ok || !l.Equal(o) {
					t.Errorf("LatestOccurrence(%v) = %v, %v", o, l, ok)
				}
				if l, ok := c.s.LatestOccurrence(o.Add(-time.Millisecond)); i == 0 && ok || i > 0 && !l.Equal(c.want[i-1]) {
					t.Errorf("LatestOccurrence(just before %v) = %v, %v", o, l, ok)
				}
			}
			last := c.want[len(c.want)-1]
			if l, _ := c.s.LatestOccurrence(last.AddDate(1, 0, 0)); !l.Equal(last) {
				t.Errorf("LatestOccurrence a year after the end = %v, want %v", l, last)
			}
		})
	}
}

func TestNextOccurrenceFromAnyTime(t *testing.T) {
	s := weekly("2026-12-01T18:00:00Z", 60, "2026-12-31", "MON", "WED") // from a Tuesday
	cases := []struct {
		after string
		want  string // "" for none
	}{
		{"2020-01-01T00:00:00Z", "2026-12-02T18:00:00Z"},
		{"2026-12-01T17:59:59Z", "2026-12-02T18:00:00Z"},
		{"2026-12-01T18:00:00Z", "2026-12-02T18:00:00Z"},
		{"2026-12-02T18:00:00Z", "2026-12-07T18:00:00Z"}, // strictly after
		{"2026-12-02T18:30:00Z", "2026-12-07T18:00:00Z"},
		{"2026-12-07T00:00:00Z", "2026-12-07T18:00:00Z"},
		{"2026-12-30T18:00:00Z", ""}, // Wednesday 30th was the last
		{"2027-06-01T00:00:00Z", ""},
	}
	for _, c := range cases {
		got, ok := s.NextOccurrence(at(c.after))
		if c.want == "" {
			if ok {
				t.Errorf("after %s: %v, want none", c.after, got)
			}
			continue
		}
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("after %s: %v %v, want %s", c.after, got, ok, c.want)
		}
	}
}
