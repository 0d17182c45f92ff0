package domain

import "time"

// The recurrence rules. Every occurrence of a schedule starts at the time of
// day of startDateTime, in UTC, on each day from startDateTime's on that
// matches (every day for DAY, the listed weekdays for WEEK) and whose date is on
// or before endDate. Without a recurrence the one occurrence is startDateTime.
// So a WEEK schedule whose startDateTime falls on a day it does not list first
// runs on the next listed day, as a calendar would have it. Occurrences are thus
// at least a day apart, and a duration is at most 12 hours, so two windows
// [start, start+duration) never overlap: at any instant at most one is open.

const oneDay = 24 * time.Hour

// Length is how long each occurrence runs.
func (s *Schedule) Length() time.Duration { return time.Duration(s.Duration) * time.Minute }

// endDay is the last day that may hold an occurrence, and false when the
// schedule has no occurrence after its first.
func (s *Schedule) endDay() (time.Time, bool) {
	if s.Recurrence == nil {
		return time.Time{}, false
	}
	end, err := time.Parse(time.DateOnly, s.Recurrence.EndDate)
	if err != nil {
		return time.Time{}, false
	}
	return end, true
}

// first returns the schedule's first occurrence, and false when it has none
// (a WEEK recurrence whose listed days all fall after its endDate).
func (s *Schedule) first() (time.Time, bool) {
	start := s.Start()
	end, ok := s.endDay()
	if !ok {
		return start, true
	}
	tod := start.Sub(startDay(start))
	// A week holds every weekday, so eight days without a match mean none ever.
	for d, i := startDay(start), 0; i < 8 && !d.After(end); d, i = d.Add(oneDay), i+1 {
		if s.occursOn(d) {
			return d.Add(tod), true
		}
	}
	return time.Time{}, false
}

// occursOn reports whether an occurrence starts on day d (midnight UTC), given
// that d is not before the start day nor after the end day.
func (s *Schedule) occursOn(d time.Time) bool {
	switch s.Recurrence.Unit {
	case "DAY":
		return true
	case "WEEK":
		for _, name := range s.Recurrence.Days {
			if wd, ok := Weekdays[name]; ok && wd == d.Weekday() {
				return true
			}
		}
	}
	return false
}

// NextOccurrence returns the start of the first occurrence strictly after
// after, and false when there is none.
func (s *Schedule) NextOccurrence(after time.Time) (time.Time, bool) {
	if s.IsEmpty() {
		return time.Time{}, false
	}
	start, ok := s.first()
	if !ok {
		return time.Time{}, false
	}
	if after.Before(start) {
		return start, true
	}
	end, ok := s.endDay()
	if !ok {
		return time.Time{}, false
	}
	tod := start.Sub(startDay(start))
	d := startDay(after)
	if !d.Add(tod).After(after) {
		d = d.Add(oneDay)
	}
	// A week holds every weekday, so eight days without a match mean none ever.
	for i := 0; i < 8 && !d.After(end); i++ {
		if s.occursOn(d) {
			return d.Add(tod), true
		}
		d = d.Add(oneDay)
	}
	return time.Time{}, false
}

// LatestOccurrence returns the start of the last occurrence at or before t,
// and false when none has started by then.
func (s *Schedule) LatestOccurrence(t time.Time) (time.Time, bool) {
	if s.IsEmpty() {
		return time.Time{}, false
	}
	start, ok := s.first()
	if !ok || t.Before(start) {
		return time.Time{}, false
	}
	end, ok := s.endDay()
	if !ok {
		return start, true
	}
	tod := start.Sub(startDay(start))
	d := startDay(t)
	if d.Add(tod).After(t) {
		d = d.Add(-oneDay)
	}
	if d.After(end) {
		d = end
	}
	for i := 0; i < 8 && d.After(startDay(start)); i++ {
		if s.occursOn(d) {
			return d.Add(tod), true
		}
		d = d.Add(-oneDay)
	}
	return start, true
}

// latestBefore is the occurrence just before occurrence o.
func (s *Schedule) latestBefore(o time.Time) (time.Time, bool) {
	return s.LatestOccurrence(o.Add(-time.Nanosecond))
}
