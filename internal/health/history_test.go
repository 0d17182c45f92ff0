package health

import (
	"reflect"
	"testing"
	"time"
)

func TestFoldValues(t *testing.T) {
	got := foldValues([]map[string]float64{
		{"NetworkIn": 1000, "InputLossSeconds": 1, "ActiveAlerts": 0, "OutputBitrate/720p": 3000},
		{"NetworkIn": 3000, "InputLossSeconds": 0, "ActiveAlerts": 2},
		{"NetworkIn": 2000, "InputLossSeconds": 1, "ActiveAlerts": 1, "OutputBitrate/720p": 1000},
	})
	want := map[string]float64{"NetworkIn": 2000, "InputLossSeconds": 2, "ActiveAlerts": 2, "OutputBitrate/720p": 2000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("foldValues = %v, want %v (a mean for rates, a sum for counts, the highest for levels; a series missing from a part averages the others)", got, want)
	}
}

func TestHistoryPoints(t *testing.T) {
	h := NewHistory()
	start := time.Date(2026, 12, 2, 10, 0, 55, 0, time.UTC)
	var fine, coarse int
	for sec := range 70 { // 10:00:55 to 10:02:04
		for _, p := range h.Add(ref, 0, Frame{T: start.Add(time.Duration(sec) * time.Second), Values: map[string]float64{"InputLossSeconds": 1}}) {
			switch p.Resolution {
			case Fine:
				fine++
				if p.Time.Second()%10 != 0 {
					t.Errorf("a 10 s point at %s", p.Time)
				}
				if want := float64(min(10, p.Time.Add(Fine).Sub(start)/time.Second)); p.Values["InputLossSeconds"] != want {
					t.Errorf("the 10 s point at %s sums %v, want %v", p.Time.Format(time.TimeOnly), p.Values["InputLossSeconds"], want)
				}
			case Coarse:
				coarse++
			}
		}
	}
	// Closed: 10:00:50 (5 frames) and 10:01:00 to 10:01:50, then 10:02:00
	// is open; the minutes 10:00 and 10:01 closed.
	if fine != 7 || coarse != 2 {
		t.Errorf("%d fine and %d coarse points closed, want 7 and 2", fine, coarse)
	}
	rest := h.End(ref.RunID)
	if len(rest) != 2 || rest[0].Values["InputLossSeconds"]+rest[1].Values["InputLossSeconds"] != 10 {
		t.Errorf("End flushed %+v, want the open 10 s and 1 min periods of 5 s each", rest)
	}
	if _, _, ok := h.Frames(ref.WorkflowID, start, start.Add(time.Hour)); ok {
		t.Error("frames kept after the run ended")
	}
}

func TestHistoryKeepsFifteenMinutes(t *testing.T) {
	h := NewHistory()
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for sec := range 1200 {
		h.Add(ref, 1, Frame{T: start.Add(time.Duration(sec) * time.Second), Values: map[string]float64{"NetworkIn": float64(sec)}})
	}
	frames, since, ok := h.Frames(ref.WorkflowID, start, start.Add(time.Hour))
	if !ok || len(frames[1]) != 900 || !since.Equal(start.Add(300*time.Second)) {
		t.Fatalf("ok %v, %d frames since %s; want the last 900 s", ok, len(frames[1]), since)
	}
	// A frame for a second already recorded is ignored.
	h.Add(ref, 1, Frame{T: start, Values: map[string]float64{"NetworkIn": -1}})
	if frames, _, _ := h.Frames(ref.WorkflowID, start, start.Add(time.Hour)); frames[1][899].Values["NetworkIn"] != 1199 {
		t.Error("an old frame replaced the newest")
	}
}
