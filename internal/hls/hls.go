// Package hls is onair's live HLS packager: it writes one rendition's media
// playlist and segments (MPEG-TS, optionally AES-128 encrypted, or CMAF with
// LL-HLS parts) from the access units of a media.Reader, and the multivariant
// playlist that lists the renditions. Every file it writes is written to a
// temporary file renamed into place, so a reader (the origin, a player) never
// sees half of one. A Variant opened on a directory that an earlier process
// wrote continues its playlist: its media sequence never goes back.
package hls

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
)

// Format is what a variant's segments are made of.
type Format int

const (
	// TS is MPEG-TS segments (RFC 8216 3.2), the format every player reads.
	TS Format = iota
	// CMAF is fragmented MP4 segments with an init section (EXT-X-MAP), and
	// with LL-HLS parts when VariantConfig.Part is set.
	CMAF
)

// String names the format as blueprints do.
func (f Format) String() string {
	if f == CMAF {
		return "CMAF"
	}
	return "TS"
}

// Playlist is the file name of a variant's media playlist in its directory.
const Playlist = "index.m3u8"

// DeltaPlaylist names the delta update (EXT-X-SKIP) that an LL-HLS variant
// writes beside its playlist, which the origin serves for _HLS_skip=YES.
func DeltaPlaylist(playlist string) string {
	return strings.TrimSuffix(playlist, ".m3u8") + "_delta.m3u8"
}

// Key is an AES-128 key as players fetch it.
type Key struct {
	URI   string // where players fetch it, as it goes into EXT-X-KEY
	Bytes [16]byte
}

// KeySource gives the key that encrypts the next segment; it rotates keys as
// it sees fit (the engine's key rotator writes them where URI points).
type KeySource interface {
	Current() (Key, error)
}

// VariantConfig is what a Variant writes and how.
type VariantConfig struct {
	// Dir is the absolute directory of the playlist and its segments.
	Dir    string
	Format Format
	// Segment is the target length: a segment is cut at the first video
	// keyframe at or after it (audio alone: the first frame at or after it).
	Segment time.Duration
	// Window is how far back the playlist reaches. Segments that leave it are
	// deleted a little later, for players that have just fetched a playlist
	// that still listed them.
	Window time.Duration
	// Part is the LL-HLS part length, CMAF only; 0 turns LL-HLS off.
	Part time.Duration
	// Keys encrypts TS segments with AES-128 (nil: in the clear).
	Keys KeySource
	// Now is the clock of EXT-X-PROGRAM-DATE-TIME (default time.Now).
	Now func() time.Time
	// OnInfo, if set, is called (from Run or Finish, so it must not block)
	// whenever what the master playlist says of the variant changes: its first
	// segment, new codecs, a new peak bitrate.
	OnInfo func(VariantInfo)
	Log    *slog.Logger
}

// Errors of Wait and WaitFile, which the origin turns into HTTP statuses.
var (
	// ErrTooFar: a blocking reload asked for a segment or part further ahead
	// than RFC 8216bis 6.2.5.2 lets a client ask (the origin answers 400).
	ErrTooFar = errors.New("hls: the requested segment or part is too far ahead")
	// ErrHoldTimeout: what was asked for did not come within three target
	// durations (the origin answers 503).
	ErrHoldTimeout = errors.New("hls: the requested segment or part did not come in time")
	// ErrNotLive: no live variant writes the file asked for, or it will not
	// be written soon; the origin serves what is on disk.
	ErrNotLive = errors.New("hls: no live variant is about to write this")
)

func (c *VariantConfig) check() error {
	switch {
	case !filepath.IsAbs(c.Dir):
		return fmt.Errorf("hls: the directory %q is not absolute", c.Dir)
	case c.Format != TS && c.Format != CMAF:
		return fmt.Errorf("hls: unknown format %d", c.Format)
	case c.Segment <= 0:
		return fmt.Errorf("hls: segment length %s must be positive", c.Segment)
	case c.Window < c.Segment:
		return fmt.Errorf("hls: window %s is shorter than a segment (%s)", c.Window, c.Segment)
	case c.Part < 0 || c.Part > 0 && c.Format != CMAF:
		return fmt.Errorf("hls: LL-HLS parts (%s) need the CMAF format", c.Part)
	case c.Part > 0 && c.Part > c.Segment:
		return fmt.Errorf("hls: part length %s is longer than a segment (%s)", c.Part, c.Segment)
	case c.Keys != nil && c.Format != TS:
		return errors.New("hls: AES-128 encryption needs the TS format")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// ticks is d in units of 1/rate s, without overflow for any run's length.
func ticks(d time.Duration, rate int64) int64 {
	return int64(d/time.Second)*rate + int64(d%time.Second)*rate/int64(time.Second)
}
