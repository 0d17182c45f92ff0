package cli

import (
	"context"
	"flag"
	"net/http"
	"strings"
	"time"

	"onair/internal/domain"
)

func setupScheduleWorkflow(fs *flag.FlagSet) runFunc {
	start := fs.String("start", "", "the first start, RFC 3339 `TIME` such as 2026-12-01T18:00:00Z")
	duration := fs.Int("duration", 0, "how long each run lasts, in `MINUTES` (5-720)")
	every := fs.String("every", "", "`WHEN` to repeat: day, or weekdays such as mon,wed")
	until := fs.String("until", "", "the last `DATE` a run starts on (inclusive), e.g. 2026-12-31; needed with --every")
	remove := fs.Bool("clear", false, "remove the schedule; a run in progress goes on until stopped")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args, "<id>"); err != nil {
			return err
		}
		body, err := scheduleBody(*remove, *start, *duration, *every, *until)
		if err != nil {
			return err
		}
		var w domain.Workflow
		raw, err := s.api.send(ctx, http.MethodPut, pathID("/api/workflows", args[0])+"/schedule", body, &w)
		if err != nil {
			return err
		}
		if s.json {
			return printJSON(s.stdout, raw)
		}
		d := newDetails(s.stdout)
		d.add("id", w.ID)
		d.add("status", string(w.Status))
		d.add("schedule", fmtSchedule(w.Schedule))
		next := "none"
		if w.NextRun != nil {
			next = fmtUTC(*w.NextRun)
		}
		d.add("next run", next)
		return d.flush()
	}
}

// scheduleBody builds the PUT body from the flags, refusing combinations that
// cannot make a schedule; the server checks the values themselves.
func scheduleBody(remove bool, start string, duration int, every, until string) (domain.Schedule, error) {
	if remove {
		if start != "" || duration != 0 || every != "" || until != "" {
			return domain.Schedule{}, usagef("--clear takes no other schedule flag")
		}
		return domain.Schedule{}, nil
	}
	switch {
	case start == "":
		return domain.Schedule{}, usagef("missing --start TIME (or --clear)")
	case duration == 0:
		return domain.Schedule{}, usagef("missing --duration MINUTES")
	case every != "" && until == "":
		return domain.Schedule{}, usagef("--every needs --until DATE, the last day a run starts on")
	case every == "" && until != "":
		return domain.Schedule{}, usagef("--until goes with --every")
	}
	sc := domain.Schedule{StartDateTime: start, Duration: duration}
	if every == "" {
		return sc, nil
	}
	r := &domain.Recurrence{Unit: "WEEK", EndDate: until}
	if strings.EqualFold(strings.TrimSpace(every), "day") {
		r.Unit = "DAY"
	} else {
		for _, d := range splitComma(every) {
			day := strings.ToUpper(d)
			if _, ok := domain.Weekdays[day]; !ok {
				return domain.Schedule{}, usagef("--every: %q is not a day; use day, or weekdays such as mon,wed (mon tue wed thu fri sat sun)", d)
			}
			r.Days = append(r.Days, day)
		}
		if len(r.Days) == 0 {
			return domain.Schedule{}, usagef("--every: use day, or weekdays such as mon,wed")
		}
	}
	sc.Recurrence = r
	return sc, nil
}

// fmtUTC prints a schedule's time in UTC, as schedules are written.
func fmtUTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }
