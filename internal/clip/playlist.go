package clip

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Playlist renders the VOD playlist of the segments that overlap s, with the
// archive's URIs: clip playlists are written next to the archive's
// index.m3u8, so the same relative URIs resolve. A DISCONTINUITY is kept
// before every segment but the first, where it would mark a break with
// nothing. The target duration is the longest segment rounded up, as RFC 8216
// requires.
func Playlist(segs []Segment, s Section) []byte {
	i, j := overlap(segs, s)
	segs = segs[i:j]
	target := math.Max(1, math.Ceil(maxDuration(segs)))
	var b bytes.Buffer
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n", int64(target))
	for k, g := range segs {
		if g.Discontinuity && k > 0 {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		b.WriteString("#EXTINF:")
		b.WriteString(strconv.FormatFloat(g.Duration, 'f', 6, 64))
		b.WriteString(",\n")
		b.WriteString(g.URI)
		b.WriteByte('\n')
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return b.Bytes()
}

var modifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Names returns the file names of the n clip playlists of one split request,
// index_<modifier>_1.m3u8 to index_<modifier>_<n>.m3u8. An empty modifier
// becomes a random UUID, one for the whole request, so that two requests
// without a modifier never overwrite each other's clips; a request that
// repeats a modifier replaces that modifier's clips. Its errors are
// *domain.ValidationError naming "name_modifier".
func Names(modifier string, n int) ([]string, error) {
	if modifier == "" {
		modifier = newUUID()
	}
	if !modifierPattern.MatchString(modifier) {
		return nil, validationError("name_modifier", "must be 1-64 letters, digits, '_' or '-', got %.80q", modifier)
	}
	if n < 1 || n > MaxSections {
		return nil, validationError("timestamp_list", "must list 1 to %d sections, got %d", MaxSections, n)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("index_%s_%d.m3u8", modifier, i+1)
	}
	return names, nil
}

// MP4Name is the name of the MP4 cut from a clip playlist: the playlist's name
// with .mp4 for .m3u8.
func MP4Name(playlist string) string {
	return strings.TrimSuffix(playlist, ".m3u8") + ".mp4"
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:]) // never fails, per crypto/rand
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// WriteFile writes data to dir/name through a temporary file renamed into
// place, so that a player or ffmpeg reading the name never sees half a file.
func WriteFile(dir, name string, data []byte) error {
	return WriteFileMode(dir, name, data, 0o644)
}

// WriteFileMode is WriteFile with the file's permissions.
func WriteFileMode(dir, name string, data []byte, perm os.FileMode) error {
	if err := checkName(name); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// checkName accepts a plain file name, one that stays in the directory.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("clip: %q is not a plain file name", name)
	}
	return nil
}
