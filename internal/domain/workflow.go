package domain

import (
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	maxNameLen        = 128
	maxDescriptionLen = 1024
	maxTags           = 50
	maxTagLen         = 64
)

// Workflow is a blueprint snapshot with a name, a region, tags and a schedule. It runs
// once, READY to DONE; a recurring schedule is the one way it runs again.
type Workflow struct {
	ID             string    `json:"id"`
	OrgID          string    `json:"-"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Region         string    `json:"region"`
	Status         Status    `json:"status"`
	Cause          string    `json:"cause,omitempty"`
	BlueprintID    string    `json:"blueprintId"`
	Blueprint      Blueprint `json:"blueprint"`
	Tags           []string  `json:"tags"`
	Schedule       *Schedule `json:"schedule,omitempty"`
	CreateArchives bool      `json:"createArchives"`
	RunID          string    `json:"runId,omitempty"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
	// NextRun is the start of the schedule's next occurrence, worked out when the
	// workflow is read; never stored.
	NextRun *time.Time `json:"nextRun,omitempty"`
	// ScheduleState is what the scheduler has done with the schedule's occurrences.
	ScheduleState ScheduleState `json:"scheduleState"`
	// PreparedInputs are the endpoints allocated ahead of the next run: at
	// creation for an availableImmediately input, and kept for a managed one.
	PreparedInputs []Ingest `json:"-"`
	// PlayoutProfileIDs are the playout profiles whose manifests the event
	// (this workflow and its runs) is played through, in any status.
	PlayoutProfileIDs []string `json:"playoutProfileIds"`
	// EventState is the event state set by hand, while it holds (see
	// EffectiveEventState); nil: the run decides.
	EventState *EventStateSet `json:"-"`
	// PlayoutManifests are the playout manifests the event has on the
	// origin now, worked out when the workflow is read; never stored.
	PlayoutManifests []PlayoutManifestRef `json:"playoutManifests,omitempty"`
}

// ScheduleState records the occurrences the scheduler started or skipped, so that
// none starts twice, not even across restarts.
type ScheduleState struct {
	// LastOccurrence is the start time of the latest occurrence started or skipped.
	LastOccurrence *time.Time `json:"lastOccurrence,omitempty"`
	// Skipped lists occurrences missed entirely (the server was down for all of
	// their window), the latest 50.
	Skipped []time.Time `json:"skippedOccurrences,omitempty"`
}

// WorkflowSpec is what a user sends to create or replace a workflow: the IOIO
// guide's body, unchanged.
type WorkflowSpec struct {
	Region         string     `json:"region,omitempty" doc:"A region from GET /api/regions; the default region when empty."`
	Name           string     `json:"name" doc:"Letters, digits, spaces and - _ . , : ( ) ' & / # @ + !; 1-128 characters."`
	Description    string     `json:"description,omitempty" doc:"Same character set as name; up to 1024 characters."`
	Blueprint      *Blueprint `json:"blueprint" doc:"The whole blueprint, as GET /api/blueprints/{id} returns it."`
	Tags           []string   `json:"tags,omitempty" doc:"Labels to search by."`
	Schedule       *Schedule  `json:"schedule,omitempty" doc:"When to run; {} or absent for none."`
	CreateArchives *bool      `json:"createArchives,omitempty" doc:"true (the default): record the run, with a default archive when the blueprint has none; false: remove the blueprint's archive groups."`
	// PlayoutProfileIDs attaches playout profiles to the event.
	PlayoutProfileIDs []string `json:"playoutProfileIds,omitempty" doc:"Playout profiles (GET /api/playoutprofile) whose manifests the event is played through; PUT /api/workflows/{id}/playout-profiles changes them in any status."`
}

// Validate checks a spec against the guide's rules. regions says which region
// names exist. It returns a *ValidationError naming each bad field.
func (s *WorkflowSpec) Validate(regions []string) error {
	p := &problems{}
	checkText(p, "name", s.Name, true, maxNameLen)
	checkText(p, "description", s.Description, false, maxDescriptionLen)
	if s.Region != "" && !contains(regions, s.Region) {
		p.add("region", "unknown region %q; GET /api/regions lists them", s.Region)
	}
	checkTags(p, "tags", s.Tags)
	if s.Blueprint == nil {
		p.add("blueprint", "is required: paste the object that GET /api/blueprints/{id} returns")
	} else if err := ValidateBlueprint("blueprint", s.Blueprint); err != nil {
		p.list = append(p.list, err.(*ValidationError).Errors...)
	}
	if err := s.Schedule.Validate("schedule"); err != nil {
		p.list = append(p.list, err.(*ValidationError).Errors...)
	}
	return p.err()
}

// Apply writes a validated spec into w, filling defaults: the default region, and
// createArchives true when absent.
func (s *WorkflowSpec) Apply(w *Workflow, defaultRegion string) {
	w.Name = s.Name
	w.Description = s.Description
	w.Region = s.Region
	if w.Region == "" {
		w.Region = defaultRegion
	}
	w.Blueprint = *s.Blueprint
	w.Blueprint.BuiltIn = false
	w.BlueprintID = s.Blueprint.ID
	w.Tags = normalizeTags(s.Tags)
	w.Schedule = s.Schedule.normalize()
	w.CreateArchives = s.CreateArchives == nil || *s.CreateArchives
	if s.PlayoutProfileIDs != nil {
		w.PlayoutProfileIDs = s.ProfileIDs()
	}
	w.PrepareInputs()
}

// Duplicate returns a new READY workflow with w's settings, under a new id.
func (w *Workflow) Duplicate(id string, now time.Time) Workflow {
	d := *w
	d.ID = id
	d.Status = StatusReady
	d.Cause = ""
	d.RunID = ""
	d.Created = now
	d.Updated = now
	d.Tags = append([]string(nil), w.Tags...)
	d.ScheduleState = ScheduleState{}
	d.PrepareInputs()
	return d
}

// CheckModifiable refuses an update or delete of a workflow that is locked or running.
func (w *Workflow) CheckModifiable(action string) error {
	if !w.Status.Modifiable() {
		return &ConflictError{Message: "cannot " + action + " workflow " + w.ID + " while it is " + string(w.Status) + "; stop its channel and wait for DONE"}
	}
	return nil
}

func checkText(p *problems, field, v string, required bool, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0 && required:
		p.add(field, "is required")
		return
	case n > max:
		p.add(field, "must be at most %d characters, got %d", max, n)
	case !utf8.ValidString(v):
		p.add(field, "must be valid UTF-8")
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			p.add(field, "contains the invisible control character %U; use one line of visible text", r)
			return
		}
	}
	if n > 0 && (unicode.IsSpace(rune(v[0])) || unicode.IsSpace(rune(v[len(v)-1]))) {
		p.add(field, "must not start or end with a space")
	}
	for _, r := range v {
		if !textRune(r) {
			p.add(field, "contains %q; use letters, digits, spaces and - _ . , : ( ) ' & / # @ + !", r)
			return
		}
	}
}

// textRune is the guide's "standard set of alphanumeric characters" for names and
// descriptions, with the punctuation that real channel names use.
func textRune(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' {
		return true
	}
	switch r {
	case '-', '_', '.', ',', ':', '(', ')', '\'', '&', '/', '#', '@', '+', '!':
		return true
	}
	return false
}

func checkTags(p *problems, field string, tags []string) {
	if len(tags) > maxTags {
		p.add(field, "has %d tags; at most %d", len(tags), maxTags)
	}
	for i, t := range tags {
		if !ValidTag(t) {
			p.add(index(field, i), "must be 1-%d letters, digits, '-', '_', '.' or ':', got %q", maxTagLen, t)
		}
	}
}

// ValidTag reports whether t may be used as a tag.
func ValidTag(t string) bool {
	if t == "" || len(t) > maxTagLen {
		return false
	}
	for _, r := range t {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' || r == ':') {
			return false
		}
	}
	return true
}

// normalizeTags drops duplicates and keeps the first order, never returning nil.
func normalizeTags(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// DefaultArchiveModifier names the archive that createArchives adds to a
// blueprint that has none.
const DefaultArchiveModifier = "$w$x$h$$rc$"

// EffectiveSettings is what a run of this workflow is built from: the blueprint's
// settings with createArchives applied as the IOIO guide says. True with no
// archive group adds a default one recording the top rendition (the source for
// passthrough); true with archive groups keeps them; false removes them.
func (w *Workflow) EffectiveSettings() BlueprintSettings {
	s := w.Blueprint.Settings
	groups := make([]OutputGroup, 0, len(s.OutputGroups)+1)
	hasArchive := false
	for _, g := range s.OutputGroups {
		if g.Type == OutputArchive {
			if !w.CreateArchives {
				continue
			}
			hasArchive = true
		}
		groups = append(groups, g)
	}
	if w.CreateArchives && !hasArchive {
		a := ArchiveSettings{Rendition: RenditionSource, NameModifier: "source"}
		if len(s.Channel.Video) > 0 {
			a = ArchiveSettings{Rendition: s.Channel.Video[0].Name, NameModifier: DefaultArchiveModifier}
		}
		groups = append(groups, OutputGroup{Name: "Archive", Type: OutputArchive, Archive: &a})
	}
	s.OutputGroups = groups
	return s
}

// ManagedInputID is the managed input the workflow's blueprint uses, or "".
func (w *Workflow) ManagedInputID() string {
	for _, in := range w.Blueprint.Settings.Inputs {
		if in.ManagedInput != nil {
			return in.ManagedInput.ID
		}
	}
	return ""
}

// AvailableImmediately reports whether the workflow's input is created with the
// workflow rather than at each start, so that its endpoint is known ahead.
func (w *Workflow) AvailableImmediately() bool {
	for _, in := range w.Blueprint.Settings.Inputs {
		if in.CreateInput != nil && in.CreateInput.AvailableImmediately {
			return true
		}
	}
	return false
}

// PrepareInputs allocates the endpoints of the next run ahead of its start, for
// an availableImmediately input; other inputs get theirs at the start.
func (w *Workflow) PrepareInputs() {
	w.PreparedInputs = nil
	if w.AvailableImmediately() {
		w.PreparedInputs = NewIngests(w.Blueprint.Settings.Channel.Class)
	}
}

// ProfileIDs are the spec's playout profiles without repeats, in their
// order; never nil.
func (s *WorkflowSpec) ProfileIDs() []string {
	out := []string{}
	for _, id := range s.PlayoutProfileIDs {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
