package clip

import (
	"fmt"
	"math"

	"onair/internal/domain"
)

// Validate checks a split request's sections against the recording the
// segments make up: each must have end > start ≥ 0 and start before the end of
// the recording, and end at most one segment (the longest) past it, which
// tolerates the segment being written during a live session; Clamp then ends
// such a section with the recording. It returns a *domain.ValidationError with
// one FieldError per bad section, named "timestamp_list[i]".
func Validate(sections []Section, segs []Segment) error {
	var errs []domain.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(sections) == 0:
		add("timestamp_list", "must list at least one section")
	case len(sections) > MaxSections:
		add("timestamp_list", "must list at most %d sections, got %d", MaxSections, len(sections))
	}
	total, slack := Total(segs), maxDuration(segs)
	for i, s := range sections {
		if i >= MaxSections {
			break
		}
		field := fmt.Sprintf("timestamp_list[%d]", i)
		switch {
		case !finite(s.Start) || !finite(s.End):
			add(field, "start and end must be numbers of seconds")
		case s.Start < 0:
			add(field, "start must be 0 or more, got %g", s.Start)
		case s.End <= s.Start:
			add(field, "end must be after start, got start %g and end %g", s.Start, s.End)
		case len(segs) == 0:
			add(field, "the recording has no segments yet")
		case s.Start >= total-eps:
			add(field, "start %g is outside the recording, which lasts %.3f s", s.Start, total)
		case s.End > total+slack+eps:
			add(field, "end %g is outside the recording, which lasts %.3f s", s.End, total)
		}
	}
	if len(errs) > 0 {
		return &domain.ValidationError{Errors: errs}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func validationError(field, format string, args ...any) error {
	return &domain.ValidationError{Errors: []domain.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}
