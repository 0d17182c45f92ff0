package clip

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"onair/internal/domain"
)

// segments returns n segments of d seconds each, named s<i>.ts.
func segments(n int, d float64) []Segment {
	segs := make([]Segment, n)
	for i := range segs {
		segs[i] = Segment{URI: "s" + strconv.Itoa(i) + ".ts", Start: float64(i) * d, Duration: d}
	}
	return segs
}

func TestValidate(t *testing.T) {
	segs := segments(15, 2) // 30 s
	tests := []struct {
		name     string
		sections []Section
		segs     []Segment
		want     []domain.FieldError // nil: accepted
	}{
		{name: "inside", sections: []Section{{5, 15}, {20, 26}, {0, 30}}},
		{name: "last instant", sections: []Section{{29.5, 30}}},
		{name: "end within one segment past the end", sections: []Section{{20, 32}}},
		{name: "no sections", want: []domain.FieldError{{Field: "timestamp_list", Message: "must list at least one section"}}},
		{name: "end before start", sections: []Section{{5, 15}, {10, 5}},
			want: []domain.FieldError{{Field: "timestamp_list[1]", Message: "end must be after start, got start 10 and end 5"}}},
		{name: "end equals start", sections: []Section{{10, 10}},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "end must be after start, got start 10 and end 10"}}},
		{name: "negative start", sections: []Section{{-1, 5}},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "start must be 0 or more, got -1"}}},
		{name: "not a number", sections: []Section{{math.NaN(), 5}, {0, math.Inf(1)}},
			want: []domain.FieldError{
				{Field: "timestamp_list[0]", Message: "start and end must be numbers of seconds"},
				{Field: "timestamp_list[1]", Message: "start and end must be numbers of seconds"}}},
		{name: "start past the end", sections: []Section{{40, 50}},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "start 40 is outside the recording, which lasts 30.000 s"}}},
		{name: "start at the end", sections: []Section{{30, 31}},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "start 30 is outside the recording, which lasts 30.000 s"}}},
		{name: "end far past the end", sections: []Section{{20, 32.5}},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "end 32.5 is outside the recording, which lasts 30.000 s"}}},
		{name: "empty recording", sections: []Section{{0, 5}}, segs: []Segment{},
			want: []domain.FieldError{{Field: "timestamp_list[0]", Message: "the recording has no segments yet"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := segs
			if tt.segs != nil {
				s = tt.segs
			}
			err := Validate(tt.sections, s)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %#v, want a *domain.ValidationError", err)
			}
			if len(ve.Errors) != len(tt.want) {
				t.Fatalf("errors = %v, want %v", ve.Errors, tt.want)
			}
			for i := range tt.want {
				if ve.Errors[i] != tt.want[i] {
					t.Errorf("error %d = %q, want %q", i, ve.Errors[i], tt.want[i])
				}
			}
		})
	}
}

func TestValidateTooManySections(t *testing.T) {
	sections := make([]Section, MaxSections+1)
	for i := range sections {
		sections[i] = Section{0, 1}
	}
	err := Validate(sections, segments(3, 2))
	if err == nil || err.Error() != "timestamp_list: must list at most 100 sections, got 101" {
		t.Fatalf("err = %v", err)
	}
}

func TestValidateMessage(t *testing.T) {
	err := Validate([]Section{{1, 2}, {5, 3}}, segments(3, 2))
	if err == nil || err.Error() != "timestamp_list[1]: end must be after start, got start 5 and end 3" {
		t.Fatalf("err = %v", err)
	}
}

func TestClamp(t *testing.T) {
	segs := segments(15, 2)
	if got := Clamp(segs, Section{20, 31.5}); got != (Section{20, 30}) {
		t.Errorf("Clamp past the end = %v, want [20 30]", got)
	}
	if got := Clamp(segs, Section{5, 15}); got != (Section{5, 15}) {
		t.Errorf("Clamp inside = %v, want it unchanged", got)
	}
}
