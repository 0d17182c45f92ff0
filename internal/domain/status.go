package domain

import "fmt"

// Status is where a workflow stands in its run, as the IOIO guide names it.
type Status string

// The statuses of DESIGN.md, in the order a healthy run passes through them.
const (
	StatusReady        Status = "READY"
	StatusProvisioning Status = "PROVISIONING"
	StatusStarting     Status = "STARTING"
	StatusRunning      Status = "RUNNING"
	StatusStopping     Status = "STOPPING"
	StatusDeleting     Status = "DELETING"
	StatusDone         Status = "DONE"
	StatusStartFailed  Status = "START_FAILED"
	StatusStopFailed   Status = "STOP_FAILED"
)

// Statuses lists every status, for validation, metrics and documentation.
var Statuses = []Status{
	StatusReady, StatusProvisioning, StatusStarting, StatusRunning, StatusStopping,
	StatusDeleting, StatusDone, StatusStartFailed, StatusStopFailed,
}

// transitions is the status machine: for each status, the statuses it may move to.
// DONE and START_FAILED may move to PROVISIONING only because a recurring schedule
// starts its next occurrence from there; a person duplicates the workflow instead.
var transitions = map[Status][]Status{
	StatusReady:        {StatusProvisioning},
	StatusProvisioning: {StatusStarting, StatusStartFailed},
	StatusStarting:     {StatusRunning, StatusStartFailed},
	StatusRunning:      {StatusStopping},
	StatusStopping:     {StatusDeleting, StatusStopFailed},
	StatusDeleting:     {StatusDone, StatusStopFailed},
	StatusDone:         {StatusProvisioning},
	StatusStartFailed:  {StatusProvisioning},
	StatusStopFailed:   {},
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Locked reports whether a workflow in this status is between two steady states,
// so that it can be neither updated nor deleted.
func (s Status) Locked() bool {
	switch s {
	case StatusProvisioning, StatusStarting, StatusStopping, StatusDeleting:
		return true
	}
	return false
}

// Active reports whether a run in this status holds resources that the
// controller must drive to a steady end.
func (s Status) Active() bool {
	return s.Locked() || s == StatusRunning
}

// Modifiable reports whether a workflow in this status may be updated or deleted.
func (s Status) Modifiable() bool {
	return !s.Active()
}

// ScheduleEditable reports whether the schedule of a workflow in this status may change.
func (s Status) ScheduleEditable() bool {
	return s == StatusReady || s == StatusRunning || s == StatusDone
}

// CanTransition reports whether the status machine allows from → to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition checks from → to and returns a ConflictError naming both when the
// status machine refuses it.
func Transition(from, to Status) error {
	if !CanTransition(from, to) {
		return &ConflictError{Message: fmt.Sprintf("cannot move from %s to %s", from, to)}
	}
	return nil
}

// StatusNames lists the statuses as strings, for messages and documentation.
func StatusNames() []string {
	out := make([]string, len(Statuses))
	for i, s := range Statuses {
		out[i] = string(s)
	}
	return out
}

// OpenAPIEnum lists the statuses for the API reference.
func (Status) OpenAPIEnum() []string { return StatusNames() }
