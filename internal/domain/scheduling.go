package domain

import (
	"reflect"
	"time"
)

// What the scheduler does with a workflow's schedule, decided from the channel
// and the time alone, so that the scheduler stays a loop that applies it.

// maxSkipped bounds ScheduleState.Skipped; the oldest go first.
const maxSkipped = 50

// Action is what the scheduler does to a workflow at a given time.
type Action int

// The scheduler's actions.
const (
	// Wait: nothing to do now.
	Wait Action = iota
	// StartOccurrence starts a run for Decision.Occurrence, whose window is open.
	StartOccurrence
	// SkipOccurrences records Decision.Skipped: occurrences whose whole window
	// passed without a start (the server was down, or the workflow busy).
	SkipOccurrences
	// StopOccurrence asks the current run to stop: its occurrence is over.
	StopOccurrence
)

func (a Action) String() string {
	switch a {
	case StartOccurrence:
		return "start"
	case SkipOccurrences:
		return "skip"
	case StopOccurrence:
		return "stop"
	}
	return "wait"
}

// Decision is the scheduler's next step for one workflow.
type Decision struct {
	Action     Action
	Occurrence time.Time   // for StartOccurrence
	Skipped    []time.Time // for SkipOccurrences, oldest first
}

// scheduledStartAllowed reports whether the scheduler may start a workflow in
// this status: what RequestStart allows a start that is not by hand.
func scheduledStartAllowed(s Status) bool {
	return s == StatusReady || s == StatusDone || s == StatusStartFailed
}

// ScheduleDecision is what the scheduler does with the channel at now. It
// takes one step at a time, in this order: stop a run whose occurrence is
// over; record the occurrences whose whole window passed unstarted; start the
// occurrence whose window is open. Occurrences at or before
// ScheduleState.LastOccurrence are done with, which is what keeps one from
// starting twice. The caller applies the decision and asks again.
func (c *Channel) ScheduleDecision(now time.Time) Decision {
	sc := c.Workflow.Schedule
	if sc.IsEmpty() {
		return Decision{}
	}
	if stop, ok := c.occurrenceStop(); ok && !now.Before(stop) {
		return Decision{Action: StopOccurrence}
	}
	var skipped []time.Time
	for o, ok := c.firstPending(); ok && !o.After(now); o, ok = sc.NextOccurrence(o) {
		if now.Before(o.Add(sc.Length())) {
			// The open window: the occurrences before it are recorded first.
			if len(skipped) > 0 {
				break
			}
			if scheduledStartAllowed(c.Workflow.Status) {
				return Decision{Action: StartOccurrence, Occurrence: o}
			}
			return Decision{}
		}
		skipped = append(skipped, o)
	}
	if len(skipped) > 0 {
		return Decision{Action: SkipOccurrences, Skipped: skipped}
	}
	return Decision{}
}

// firstPending is the first occurrence after ScheduleState.LastOccurrence.
// Before any, an occurrence whose window was over when the workflow was created
// (a duplicate of a recurring workflow, a start in the past) is not pending:
// nobody missed it.
func (c *Channel) firstPending() (time.Time, bool) {
	sc := c.Workflow.Schedule
	if sc.IsEmpty() {
		return time.Time{}, false
	}
	if last := c.Workflow.ScheduleState.LastOccurrence; last != nil {
		return sc.NextOccurrence(*last)
	}
	if created := c.Workflow.Created; !created.IsZero() {
		if o, ok := sc.LatestOccurrence(created); ok {
			if created.Before(o.Add(sc.Length())) {
				return o, true
			}
			return sc.NextOccurrence(o)
		}
	}
	return sc.NextOccurrence(time.Time{})
}

// occurrenceStop is when the scheduler stops the current run: its occurrence
// plus the duration of the schedule as it is now, so that a longer duration
// moves the stop. A run started by hand, one already asked to stop, or one
// whose workflow no longer has a schedule is not the scheduler's to stop.
func (c *Channel) occurrenceStop() (time.Time, bool) {
	sc := c.Workflow.Schedule
	if sc.IsEmpty() || c.Run == nil || c.Run.Occurrence == nil || c.Run.StopRequested != nil {
		return time.Time{}, false
	}
	switch c.Workflow.Status {
	case StatusProvisioning, StatusStarting, StatusRunning:
		return c.Run.Occurrence.Add(sc.Length()), true
	}
	return time.Time{}, false
}

// NextWake is the earliest instant after now at which ScheduleDecision could
// change without anything else happening to the channel: the next occurrence's
// start, the current run's stop, or the end of an open window that was not
// started (when it becomes a skip). false: never, as things stand.
func (c *Channel) NextWake(now time.Time) (time.Time, bool) {
	sc := c.Workflow.Schedule
	if sc.IsEmpty() {
		return time.Time{}, false
	}
	var wake time.Time
	consider := func(t time.Time) {
		if t.After(now) && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	if stop, ok := c.occurrenceStop(); ok {
		consider(stop)
	}
	last := c.Workflow.ScheduleState.LastOccurrence
	if o, ok := sc.LatestOccurrence(now); ok && (last == nil || o.After(*last)) {
		consider(o.Add(sc.Length()))
	}
	after := now
	if last != nil && last.After(after) {
		after = *last
	}
	if o, ok := sc.NextOccurrence(after); ok {
		consider(o)
	}
	return wake, !wake.IsZero()
}

// UpcomingRun is the start of the next occurrence after now that the scheduler
// has not started or skipped, for GET /api/workflows/{id}'s nextRun; nil when
// there is none.
func (w *Workflow) UpcomingRun(now time.Time) *time.Time {
	if w.Schedule.IsEmpty() {
		return nil
	}
	after := now
	if last := w.ScheduleState.LastOccurrence; last != nil && last.After(after) {
		after = *last
	}
	next, ok := w.Schedule.NextOccurrence(after)
	if !ok {
		return nil
	}
	next = next.UTC()
	return &next
}

// RecordSkipped notes occurrences that passed without a start: they join
// ScheduleState.Skipped (the latest maxSkipped kept) and the latest becomes
// LastOccurrence, so that none of them is started later.
func (w *Workflow) RecordSkipped(occurrences []time.Time, now time.Time) {
	if len(occurrences) == 0 {
		return
	}
	st := &w.ScheduleState
	all := append(append([]time.Time(nil), st.Skipped...), occurrences...)
	if n := len(all) - maxSkipped; n > 0 {
		all = all[n:]
	}
	st.Skipped = all
	last := occurrences[len(occurrences)-1].UTC()
	st.LastOccurrence = &last
	w.Updated = now
}

// EditSchedule replaces the workflow's schedule, as PUT
// /api/workflows/{id}/schedule does: only with a valid schedule (a
// *ValidationError naming the fields as the body has them), and only in READY,
// RUNNING and DONE (a *ConflictError otherwise); a refusal changes nothing.
// An empty schedule clears it; a run in progress then goes on until stopped by
// hand.
//
// An edit looks forward. Occurrences of the new schedule whose window had
// already passed are done with: never started, and not recorded as missed,
// since nobody missed them. The one whose window is open is done with too when
// the workflow is running, so that the run going on is not followed by a second
// one for the same slot; in READY or DONE it starts at once for the time left,
// as after a downtime.
func (c *Channel) EditSchedule(s *Schedule, now time.Time) error {
	w := &c.Workflow
	if err := s.Validate(""); err != nil {
		return err
	}
	if !w.Status.ScheduleEditable() {
		return &ConflictError{Message: "cannot edit the schedule of workflow " + w.ID + " while it is " + string(w.Status) +
			"; the schedule can change in READY, RUNNING and DONE"}
	}
	next := s.normalize()
	w.Updated = now
	if reflect.DeepEqual(next, w.Schedule) {
		return nil
	}
	w.Schedule = next
	if next == nil {
		return nil
	}
	if o, ok := next.LatestOccurrence(now); ok {
		if w.Status != StatusRunning && now.Before(o.Add(next.Length())) {
			o, ok = next.latestBefore(o)
		}
		if ok && (w.ScheduleState.LastOccurrence == nil || o.After(*w.ScheduleState.LastOccurrence)) {
			o = o.UTC()
			w.ScheduleState.LastOccurrence = &o
		}
	}
	return nil
}
