package domain

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Stream is a long-lived named channel of the Streams API (the FrontMaster and
// trackit shapes). It is a managed input, whose endpoints stay the same, and a
// STANDARD workflow that uses it. Each start is a run of that workflow: a
// session, with its own archive directory.
type Stream struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	// BlueprintID is the blueprint the workflow was made from.
	BlueprintID string
	WorkflowID  string
	InputID     string
	// SegmentLength is the archive segment length, in seconds, of every
	// session; the live HLS keeps the blueprint's own.
	SegmentLength int
	// StartoverWindowSeconds and KeyRotationInterval are the latest session's.
	StartoverWindowSeconds int
	KeyRotationInterval    int
	CloudfrontAssociated   bool
	// ArchivesPath maps each session id to its archive directory, relative to
	// the data directory's archive root.
	ArchivesPath     map[string]string
	CurrentSessionID string
	LastStarted      *time.Time
	LastStopped      *time.Time
	LastUpdate       time.Time
	Created          time.Time
}

// The Streams API's defaults and bounds, in seconds.
const (
	DefaultStartoverWindowSeconds = 3600
	DefaultKeyRotationInterval    = 60
	MaxStartoverWindowSeconds     = 24 * 3600
	MaxKeyRotationInterval        = 24 * 3600
	// DefaultSegmentLength is the archive segment length that both documents
	// give when segment_length is absent: MediaLive's archive rollover.
	DefaultSegmentLength = 300
	MaxSegmentLength     = 300
	maxArchivePath       = 255
)

// StreamSpec is the body of POST /api/streams.
type StreamSpec struct {
	Name          string `json:"name" doc:"Letters, digits, spaces and - _ . , : ( ) ' & / # @ + !; 1-128 characters. Also the name of the stream's workflow and managed input."`
	Description   string `json:"description,omitempty" doc:"Same character set as name; up to 1024 characters."`
	SegmentLength *int   `json:"segment_length,omitempty" doc:"Length of the archive's segment files in seconds, 1-300; 300 when absent. A segment ends on the first keyframe at or after it. Only the archive: the live HLS keeps the blueprint's segment length."`
	BlueprintID   string `json:"blueprint_id,omitempty" doc:"An onair addition: the blueprint whose ladder the stream encodes, built-in or your own; rtmp-abr-1080 (the trackit ladder) when absent. It runs as a STANDARD channel."`
	// PlayoutProfileIDs attaches playout profiles to the stream's event.
	PlayoutProfileIDs []string `json:"playout_profile_ids,omitempty" doc:"An onair addition: playout profiles (GET /api/playoutprofile) whose manifests the stream's sessions are played through."`
}

// Validate checks a create body; it returns a *ValidationError naming each bad field.
func (s *StreamSpec) Validate() error {
	p := &problems{}
	checkText(p, "name", s.Name, true, maxNameLen)
	checkText(p, "description", s.Description, false, maxDescriptionLen)
	if s.SegmentLength != nil {
		checkRange(p, "segment_length", *s.SegmentLength, 1, MaxSegmentLength)
	}
	if s.BlueprintID != "" && !idPattern.MatchString(s.BlueprintID) {
		p.add("blueprint_id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return p.err()
}

// ArchiveSegment is the archive segment length the spec asks for:
// segment_length, or DefaultSegmentLength when absent.
func (s *StreamSpec) ArchiveSegment() int {
	if s.SegmentLength != nil {
		return *s.SegmentLength
	}
	return DefaultSegmentLength
}

// StreamStart is the body of POST /api/streams/{id}/start; every field is optional.
type StreamStart struct {
	Path                   string `json:"path,omitempty" doc:"The session's archive directory, relative to the archive root: letters, digits and _ . / -, without '..'. YYYY/MM/DD/<stream id>-<unix time> when absent."`
	StartoverWindowSeconds *int   `json:"startover_window_seconds,omitempty" doc:"How far back the live playlist reaches (the DVR window), in seconds: at least 3 HLS segments, at most 86400. 3600 when absent."`
	KeyRotationInterval    *int   `json:"key_rotation_interval,omitempty" doc:"Encrypt the live HLS with AES-128, with a new key every so many seconds; 0 leaves it clear. 60 when absent."`
}

// SessionOptions are a start's settings with the defaults filled in.
type SessionOptions struct {
	// ArchiveDir is the cleaned path, or "" for the default one.
	ArchiveDir             string
	StartoverWindowSeconds int
	KeyRotationInterval    int
}

// Resolve checks a start body against the channel's HLS segment length (the
// window must hold 3 segments) and fills in the defaults. It returns a
// *ValidationError naming each bad field.
func (s *StreamStart) Resolve(hlsSegmentSeconds int) (SessionOptions, error) {
	p := &problems{}
	o := SessionOptions{StartoverWindowSeconds: DefaultStartoverWindowSeconds, KeyRotationInterval: DefaultKeyRotationInterval}
	if s.Path != "" {
		dir, err := CleanArchivePath("path", s.Path)
		if err != nil {
			p.list = append(p.list, err.(*ValidationError).Errors...)
		}
		o.ArchiveDir = dir
	}
	if s.StartoverWindowSeconds != nil {
		o.StartoverWindowSeconds = *s.StartoverWindowSeconds
		checkRange(p, "startover_window_seconds", o.StartoverWindowSeconds, max(3*hlsSegmentSeconds, 1), MaxStartoverWindowSeconds)
	}
	if s.KeyRotationInterval != nil {
		o.KeyRotationInterval = *s.KeyRotationInterval
		checkRange(p, "key_rotation_interval", o.KeyRotationInterval, 0, MaxKeyRotationInterval)
	}
	return o, p.err()
}

var (
	archivePathPattern = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	// uuidPattern matches a workflow id as the server makes them.
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// CleanArchivePath checks an archive directory a user gave, relative to the
// archive root, and returns it cleaned ("a/./b/" is "a/b"). It refuses an
// absolute path, one that leaves the root ("../x", "a/../../b"), the root
// itself, characters other than letters, digits and _ . / -, and a first
// directory named like a workflow id: that is where workflows that are not
// streams keep their runs' archives (archive/<workflow>/<run>).
func CleanArchivePath(field, p string) (string, error) {
	pr := &problems{}
	switch {
	case len(p) > maxArchivePath:
		pr.add(field, "must be at most %d characters, got %d", maxArchivePath, len(p))
	case !archivePathPattern.MatchString(p):
		pr.add(field, "may hold only letters, digits and _ . / -, relative to the archive root (such as 2024/05/17/keynote), got %q", p)
	case strings.HasPrefix(p, "/"):
		pr.add(field, "must be relative to the archive root, not absolute: %q", p)
	}
	if err := pr.err(); err != nil {
		return "", err
	}
	clean := path.Clean(p)
	first, _, _ := strings.Cut(clean, "/")
	switch {
	case clean == "..", strings.HasPrefix(clean, "../"):
		pr.add(field, "must stay inside the archive root, and %q leaves it", p)
	case clean == ".":
		pr.add(field, "must name a directory inside the archive root, not the root itself")
	case uuidPattern.MatchString(first):
		pr.add(field, "must not start with a workflow id (%s): that directory holds the workflow's own archives", first)
	}
	if err := pr.err(); err != nil {
		return "", err
	}
	return clean, nil
}

// DefaultArchivePath is a session's archive directory when the start names
// none, as trackit makes it: YYYY/MM/DD/<stream id>-<unix time>, in UTC.
func DefaultArchivePath(streamID string, now time.Time) string {
	now = now.UTC()
	return now.Format("2006/01/02") + "/" + streamID + "-" + strconv.FormatInt(now.Unix(), 10)
}

// ArchivePathsOverlap reports whether two cleaned archive directories are the
// same or one holds the other, so that two sessions would write into, or a
// failed start's cleanup would remove, the other's files.
func ArchivePathsOverlap(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// StreamStartConflict says why a stream whose workflow is in channel ch (nil
// when the workflow is gone) cannot start a session now, in words about the
// stream; nil when it can. Between a stop and the end of the session's channel
// (STOPPING, DELETING) the archive is being finalized.
func StreamStartConflict(st *Stream, ch *Channel) error {
	switch {
	case ch == nil:
		return &ConflictError{Message: "stream " + st.ID + "'s workflow " + st.WorkflowID + " was deleted; delete the stream and create it again"}
	case StreamStarted(ch):
		return &ConflictError{Message: "stream " + st.ID + " is already started (session " + st.CurrentSessionID + "); stop it first"}
	case ch.Workflow.Status.Active():
		return StreamFinishing(st, "start")
	}
	return nil
}

// StreamFinishing refuses an action on a stream that was stopped and whose last
// session has not ended yet.
func StreamFinishing(st *Stream, action string) error {
	return &ConflictError{Message: "stream " + st.ID + " cannot " + action + " yet: the last session is still finishing its archive (session " +
		st.CurrentSessionID + "); " + action + " it again in a moment"}
}

// StreamStarted reports whether a stream whose workflow is in channel ch (nil
// when the workflow is gone) is started: its run is starting or running and no
// stop was asked for. A stop answers started false at once, as trackit does,
// while the channel winds down.
func StreamStarted(ch *Channel) bool {
	return ch != nil && ch.Workflow.Status.Active() && ch.Run != nil && ch.Run.StopRequested == nil
}
