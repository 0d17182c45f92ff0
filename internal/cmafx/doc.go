// Package cmafx reshapes onair's live CMAF output for playout profiles: it
// splits an init section and its media segments into one stream per track,
// and encrypts such a stream with Common Encryption ("cenc" or "cbcs").
//
// onair packages each rendition once, with video and audio muxed in every
// fragment, because LL-HLS wants them so. DASH players (Shaka) want one track
// per representation, so a profile that serves DASH splits the same files
// just in time rather than packaging everything twice. A profile with DRM then
// encrypts each split segment when a player first asks for it. Several nodes
// may answer for one segment and a cache may keep what one of them made, so
// everything here is deterministic: the same input bytes and key always give
// the same output bytes, and the IVs of "cenc" are derived from the fragment
// they protect rather than drawn at random.
//
// Boxes are read and written here, by hand and with every size checked: a
// bad file is an error, never a crash nor gigabytes allocated, which mp4ff's
// decoders do not promise. mp4ff does the cryptography and the H.264 parsing
// it needs (where the protected ranges of a sample lie, its slice headers),
// on samples checked first, and encodes the boxes of the protection scheme.
package cmafx

import (
	"errors"
	"fmt"
)

// Errors a caller may tell apart with errors.Is: a file that is not what it
// should be, and a well-formed file that this package cannot handle.
var (
	// ErrMalformed: the input is not a well-formed fragmented MP4 init
	// section or segment, or does not say what this package needs.
	ErrMalformed = errors.New("cmafx: malformed MP4")
	// ErrUnsupported: the input is well formed, but in a shape or with a
	// codec that this package does not handle (encryption of hvc1, sample
	// sizes given only by trex, more than one trun when encrypting).
	ErrUnsupported = errors.New("cmafx: unsupported")
	// ErrNoSamples: the segment has no sample of the track asked for.
	ErrNoSamples = errors.New("cmafx: no sample of the track in the segment")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// guard runs f, a call into mp4ff, and turns a panic in it into an error:
// mp4ff's decoders index what they read without checking all of it, and one
// bad file must not take the server down.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = malformed("mp4ff: %v", r)
		}
	}()
	return f()
}
