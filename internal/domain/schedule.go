package domain

import "time"

// Schedule runs a workflow at startDateTime for duration minutes, and again on the
// days its recurrence names, through endDate.
type Schedule struct {
	StartDateTime string      `json:"startDateTime,omitempty" doc:"RFC 3339 UTC time, e.g. 2020-12-18T09:59:14.188Z."`
	Duration      int         `json:"duration,omitempty" doc:"Minutes, 5-720."`
	Recurrence    *Recurrence `json:"recurrence,omitempty" doc:"Repeat daily or on some weekdays."`
}

// Recurrence repeats a schedule every day, or every week on the days listed.
type Recurrence struct {
	Unit    string   `json:"unit" enum:"DAY,WEEK" doc:"DAY or WEEK."`
	Days    []string `json:"days,omitempty" doc:"For WEEK: MON, TUE, WED, THU, FRI, SAT, SUN."`
	EndDate string   `json:"endDate" doc:"Last day that runs, inclusive: YYYY-MM-DD."`
}

// Weekdays maps the guide's day names to time.Weekday.
var Weekdays = map[string]time.Weekday{
	"MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday, "THU": time.Thursday,
	"FRI": time.Friday, "SAT": time.Saturday, "SUN": time.Sunday,
}

// IsEmpty reports whether s is absent or {}, which means "no schedule".
func (s *Schedule) IsEmpty() bool {
	return s == nil || (s.StartDateTime == "" && s.Duration == 0 && s.Recurrence == nil)
}

// Start returns the parsed startDateTime; it is only meaningful after Validate.
func (s *Schedule) Start() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s.StartDateTime)
	return t.UTC()
}

// Validate checks the guide's rules: a start time, a duration of 5-720 minutes, and
// a recurrence with unit DAY or WEEK, days for WEEK, and an endDate not before the
// start. An empty schedule is valid.
func (s *Schedule) Validate(prefix string) error {
	if s.IsEmpty() {
		return nil
	}
	p := &problems{}
	start, err := time.Parse(time.RFC3339Nano, s.StartDateTime)
	if s.StartDateTime == "" {
		p.add(join(prefix, "startDateTime"), "is required")
	} else if err != nil {
		p.add(join(prefix, "startDateTime"), "must be an RFC 3339 time such as 2020-12-18T09:59:14.188Z, got %q", s.StartDateTime)
	}
	if s.Duration < 5 || s.Duration > 720 {
		p.add(join(prefix, "duration"), "must be between 5 and 720 minutes, got %d", s.Duration)
	}
	if r := s.Recurrence; r != nil {
		at := join(prefix, "recurrence")
		switch r.Unit {
		case "DAY":
		case "WEEK":
			if len(r.Days) == 0 {
				p.add(join(at, "days"), "is required when unit is WEEK")
			}
		default:
			p.add(join(at, "unit"), "must be DAY or WEEK, got %q", r.Unit)
		}
		seen := map[string]bool{}
		for i, d := range r.Days {
			if _, ok := Weekdays[d]; !ok {
				p.add(index(join(at, "days"), i), "must be one of MON, TUE, WED, THU, FRI, SAT, SUN, got %q", d)
			} else if seen[d] {
				p.add(index(join(at, "days"), i), "%s is listed twice", d)
			}
			seen[d] = true
		}
		end, err := time.Parse(time.DateOnly, r.EndDate)
		switch {
		case r.EndDate == "":
			p.add(join(at, "endDate"), "is required")
		case err != nil:
			p.add(join(at, "endDate"), "must be a date such as 2021-04-23, got %q", r.EndDate)
		case s.StartDateTime != "" && !start.IsZero() && end.Before(startDay(start)):
			p.add(join(at, "endDate"), "must not be before the start date %s", start.UTC().Format(time.DateOnly))
		case len(p.list) == 0 && !start.IsZero():
			if _, ok := s.first(); !ok {
				p.add(join(at, "days"), "no listed day falls between the start date %s and endDate %s, so the schedule would never run",
					start.UTC().Format(time.DateOnly), r.EndDate)
			}
		}
	}
	return p.err()
}

func startDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// normalize returns nil for an empty schedule and otherwise a copy with the start
// time in UTC, so that what is stored compares and prints the same everywhere.
func (s *Schedule) normalize() *Schedule {
	if s.IsEmpty() {
		return nil
	}
	c := *s
	c.StartDateTime = s.Start().Format("2006-01-02T15:04:05.000Z")
	if s.Recurrence != nil {
		r := *s.Recurrence
		r.Days = append([]string(nil), r.Days...)
		c.Recurrence = &r
	}
	return &c
}
