package domain

import (
	"fmt"
	"slices"
	"time"
)

// EventState is where an event (a workflow and its runs) stands for its
// playout profiles, in Vualto's words. Its manifests exist on the origin
// while it is in a playout state.
type EventState string

// The event states. The first two are not playout states.
const (
	// EventPreLive: not started yet (READY, scheduled, starting).
	EventPreLive EventState = "PRE_LIVE"
	// EventEnded: over with nothing to serve (DONE without an archive, or
	// a failed start or stop).
	EventEnded EventState = "ENDED"

	EventLiveUnpublished  EventState = "LIVE_UNPUBLISHED"   // RUNNING, no publisher yet
	EventLivePublished    EventState = "LIVE_PUBLISHED"     // RUNNING, publishing
	EventSuspended        EventState = "SUSPENDED"          // RUNNING, the publisher lost
	EventStopped          EventState = "STOPPED"            // STOPPING
	EventInstantVOD       EventState = "INSTANT_VOD"        // DONE, the archive served
	EventInstantVODBackup EventState = "INSTANT_VOD_BACKUP" // DONE, the archive kept but not served
)

// PlayoutStates are the states in which an event's manifests exist.
var PlayoutStates = []EventState{
	EventLiveUnpublished, EventLivePublished, EventStopped, EventSuspended, EventInstantVOD, EventInstantVODBackup,
}

// Playout reports whether s is a playout state.
func (s EventState) Playout() bool { return slices.Contains(PlayoutStates, s) }

// Serves says what an event's manifests play in state s: the live output
// (LIVE_PUBLISHED, SUSPENDED: its last window, STOPPED: its end), the
// archive (INSTANT_VOD), or nothing (LIVE_UNPUBLISHED hides the event
// until it is published; INSTANT_VOD_BACKUP keeps the archive unserved).
func (s EventState) Serves() (live, archive bool) {
	switch s {
	case EventLivePublished, EventSuspended, EventStopped:
		return true, false
	case EventInstantVOD:
		return false, true
	}
	return false, false
}

// EventStateSet is a state set by hand (Vualto's PUT event/state) over the
// state its run gave then. It holds until the run gives another state, the
// run's publisher comes or goes, or another run starts: LIVE_UNPUBLISHED
// hides a live event until it is published again.
type EventStateSet struct {
	State EventState `json:"state"`
	Over  EventState `json:"over"`
	RunID string     `json:"runId"`
	At    time.Time  `json:"at"`
}

// DerivedEventState is the state that a workflow's status and run give;
// archiveServed says whether the run's archive is where the origin serves
// it from.
func DerivedEventState(status Status, run *Run, archiveServed bool) EventState {
	switch status {
	case StatusRunning:
		switch publishing(run) {
		case publisherConnected:
			return EventLivePublished
		case publisherLost:
			return EventSuspended
		}
		return EventLiveUnpublished
	case StatusStopping, StatusDeleting:
		return EventStopped
	case StatusDone:
		switch {
		case run == nil || !slices.ContainsFunc(run.Archives, func(a Archive) bool { return a.Playlist != "" }):
			return EventEnded
		case archiveServed:
			return EventInstantVOD
		}
		return EventInstantVODBackup
	case StatusStartFailed, StatusStopFailed:
		return EventEnded
	}
	return EventPreLive
}

// EffectiveEventState is the derived state, or the state set by hand while
// it holds.
func EffectiveEventState(derived EventState, set *EventStateSet, run *Run) EventState {
	if set == nil || run == nil || set.RunID != run.ID || set.Over != derived {
		return derived
	}
	for _, e := range run.Events {
		if (e.Type == EventPublisherConnected || e.Type == EventPublisherDisconnected) && e.Time.After(set.At) {
			return derived
		}
	}
	return set.State
}

// SetEventState checks a state asked for by hand over the derived one: a
// live event can be hidden or shown (LIVE_UNPUBLISHED, LIVE_PUBLISHED), an
// ended one's archive kept back or served (INSTANT_VOD_BACKUP, INSTANT_VOD),
// and any playout state can be set back to the derived one.
func SetEventState(derived, want EventState, run *Run, now time.Time) (*EventStateSet, error) {
	if !want.Playout() {
		return nil, fieldErr("state", fmt.Sprintf("must be one of %v, not %q", PlayoutStates, want))
	}
	if want == derived {
		return nil, nil
	}
	live := []EventState{EventLiveUnpublished, EventLivePublished, EventSuspended}
	vod := []EventState{EventInstantVOD, EventInstantVODBackup}
	switch {
	case slices.Contains(live, derived) && slices.Contains(live, want),
		slices.Contains(vod, derived) && slices.Contains(vod, want):
		if run == nil {
			return nil, &ConflictError{Message: "an event without a run has no state to set"}
		}
		return &EventStateSet{State: want, Over: derived, RunID: run.ID, At: now.UTC()}, nil
	}
	return nil, &ConflictError{Message: fmt.Sprintf("an event that is %s cannot be set to %s", derived, want)}
}

type publisherState int

const (
	publisherNever publisherState = iota
	publisherConnected
	publisherLost
)

// publishing is whether a run has a publisher now, from its events: one
// pipeline whose latest publisher event is a connection is enough.
func publishing(run *Run) publisherState {
	if run == nil {
		return publisherNever
	}
	last := map[int]string{}
	for _, e := range run.Events {
		if e.Type == EventPublisherConnected || e.Type == EventPublisherDisconnected {
			last[e.Pipeline] = e.Type
		}
	}
	state := publisherNever
	for _, t := range last {
		if t == EventPublisherConnected {
			return publisherConnected
		}
		state = publisherLost
	}
	return state
}
