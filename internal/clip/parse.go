package clip

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrMasterPlaylist refuses a multivariant (master) playlist: an archive is a
// media playlist of segments.
var ErrMasterPlaylist = errors.New("a master playlist, not a media playlist of segments")

// Tags that would change what a segment URI means: Playlist could not copy a
// segment without them, so Parse refuses them rather than cut wrong clips.
var unsupported = []string{"#EXT-X-BYTERANGE", "#EXT-X-KEY", "#EXT-X-MAP", "#EXT-X-PART"}

var masterTags = []string{"#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-MEDIA:", "#EXT-X-SESSION-DATA", "#EXT-X-SESSION-KEY"}

// Parse reads an HLS media playlist, the archive's index.m3u8, into its
// segments and whether it is finished (#EXT-X-ENDLIST). It is strict, since
// what it accepts is written back into clip playlists and given to ffmpeg: it
// refuses a master playlist, an EXTINF that is not a decimal duration of at
// most MaxSegmentDuration, a URI without its EXTINF or an EXTINF without its
// URI, segment URIs that are not plain relative paths inside the archive
// directory, segments after the ENDLIST, and more than MaxSegments segments.
// Unknown tags and comments are ignored.
func Parse(playlist []byte) (segs []Segment, ended bool, err error) {
	if len(playlist) > MaxPlaylistBytes {
		return nil, false, fmt.Errorf("playlist: larger than %d bytes", MaxPlaylistBytes)
	}
	playlist = bytes.TrimPrefix(playlist, []byte("\xef\xbb\xbf"))
	var (
		first    = true
		pos      float64
		duration = -1.0 // the pending EXTINF, -1 when there is none
		discont  bool
	)
	for n := 1; len(playlist) > 0; n++ {
		var raw []byte
		raw, playlist, _ = bytes.Cut(playlist, []byte("\n"))
		line := strings.TrimSpace(string(raw))
		fail := func(format string, args ...any) ([]Segment, bool, error) {
			return nil, false, fmt.Errorf("playlist line %d: "+format, append([]any{n}, args...)...)
		}
		if first {
			if line != "#EXTM3U" {
				return fail("want #EXTM3U first, not an HLS playlist")
			}
			first = false
			continue
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXTINF:"):
			if duration >= 0 {
				return fail("EXTINF without a segment URI after the previous one")
			}
			d, err := parseEXTINF(line[len("#EXTINF:"):])
			if err != nil {
				return fail("%v", err)
			}
			duration = d
		case line == "#EXT-X-DISCONTINUITY":
			discont = true
		case line == "#EXT-X-ENDLIST":
			ended = true
		case hasAnyPrefix(line, masterTags):
			return fail("%w", ErrMasterPlaylist)
		case hasAnyPrefix(line, unsupported):
			tag, _, _ := strings.Cut(line, ":")
			return fail("%s is not supported in an archive", tag)
		case strings.HasPrefix(line, "#"):
			// Other tags (VERSION, TARGETDURATION, PROGRAM-DATE-TIME, ...) and comments.
		default:
			if duration < 0 {
				return fail("segment URI %.40q without an EXTINF", line)
			}
			if ended {
				return fail("segment after #EXT-X-ENDLIST")
			}
			if err := checkURI(line); err != nil {
				return fail("%v", err)
			}
			if len(segs) == MaxSegments {
				return fail("more than %d segments", MaxSegments)
			}
			segs = append(segs, Segment{URI: line, Start: pos, Duration: duration, Discontinuity: discont})
			pos += duration
			duration, discont = -1, false
		}
	}
	if first {
		return nil, false, errors.New("playlist: empty, not an HLS playlist")
	}
	if duration >= 0 {
		return nil, false, errors.New("playlist: ends with an EXTINF without its segment URI")
	}
	return segs, ended, nil
}

// parseEXTINF reads "<duration>,[<title>]" where the duration is a
// decimal-floating-point (digits with at most one '.'), as RFC 8216 has it;
// ParseFloat alone would also take "Inf", "1e9" and "0x1p4".
func parseEXTINF(v string) (float64, error) {
	num, _, _ := strings.Cut(v, ",")
	num = strings.TrimSpace(num)
	if !isDecimal(num) {
		return 0, fmt.Errorf("EXTINF duration %.40q is not a decimal number of seconds", num)
	}
	d, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(d, 0) || math.IsNaN(d) {
		return 0, fmt.Errorf("EXTINF duration %.40q is not a decimal number of seconds", num)
	}
	if d > MaxSegmentDuration {
		return 0, fmt.Errorf("EXTINF duration %g s is longer than %g s", d, MaxSegmentDuration)
	}
	return d, nil
}

// checkURI accepts a relative path that stays inside the playlist's directory:
// clip playlists are written next to the archive's, with the same URIs, and
// ffmpeg opens them, so a URL, an absolute path or a ".." is refused.
func checkURI(u string) error {
	if len(u) > MaxURIBytes {
		return fmt.Errorf("segment URI longer than %d bytes", MaxURIBytes)
	}
	if !utf8.ValidString(u) {
		return fmt.Errorf("segment URI %.40q is not UTF-8", u)
	}
	for _, c := range u {
		if c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#' || c == ':' {
			return fmt.Errorf("segment URI %.40q: want a relative path without %q", u, c)
		}
	}
	if strings.HasPrefix(u, "/") {
		return fmt.Errorf("segment URI %.40q: want a relative path", u)
	}
	for _, part := range strings.Split(u, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("segment URI %.40q: want a path inside the archive directory", u)
		}
	}
	return nil
}

// isDecimal reports whether s is digits with at most one '.', and short
// enough that no sane duration is refused.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1 && len(s) <= 32
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
