package domain

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// IngestApp is the RTMP application every stream key lives under:
// rtmp://host:1935/live/<key>.
const IngestApp = "live"

// StreamKeyOfPath returns the stream key that a publisher's stream path (the
// RTMP app and stream name joined, as rtmp.StreamPath makes it) names, and
// false when the path names none. onair hands out rtmp://host/live/<key>,
// whose every split in an encoder (OBS's server rtmp://host/ with stream key
// live/<key>, say) joins to "live/<key>"; FrontMaster's documents give
// rtmp://host/<key>, which joins to "<key>". Both name the key. Any other path
// (another app, more segments) names none, so that a key never matches by
// accident of where it sits.
func StreamKeyOfPath(path string) (string, bool) {
	key := strings.TrimPrefix(path, IngestApp+"/")
	if key == "" || strings.Contains(key, "/") {
		return "", false
	}
	return key, true
}

// NewStreamKey returns a random 128-bit stream key, in hex.
func NewStreamKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewIngests allocates one fresh endpoint per pipeline of a channel class.
func NewIngests(class ChannelClass) []Ingest {
	out := make([]Ingest, class.Pipelines())
	for p := range out {
		out[p] = Ingest{Pipeline: p, App: IngestApp, StreamKey: NewStreamKey()}
	}
	return out
}

// ManagedInput is an input created on its own: its endpoints (URL and stream
// key per pipeline) stay the same across runs and restarts, and one run at a time
// may use it.
type ManagedInput struct {
	ID      string       `json:"id"`
	OrgID   string       `json:"-"`
	Name    string       `json:"name"`
	Region  string       `json:"region"`
	Type    string       `json:"type" enum:"RTMP_PUSH"`
	Class   ChannelClass `json:"class" enum:"SINGLE_PIPELINE,STANDARD"`
	Ingests []Ingest     `json:"-"`
	// InUseBy is the workflow whose run holds the input, or "".
	InUseBy string    `json:"inUseBy,omitempty"`
	Created time.Time `json:"created"`
}
