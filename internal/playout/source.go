package playout

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/hls"
	"onair/internal/pipeline"
	"onair/internal/storage"
)

// What a manifest is made from: the renditions of the event's live CMAF (or
// TS) output, or the archive's MP4 once the run is over. Either way a
// rendition is a list of segments, each naming its init section, and the
// bytes of each; the manifests and the per-track segments are made from
// that alone.

// rendition is one rendition a manifest can list.
type rendition struct {
	name     string // its name in URLs: the live variant's directory, or "archive"
	id       string // unique on the server: its directory, or the archive's file
	info     hls.VariantInfo
	target   int // seconds
	sequence int // the media sequence number of segments[0]
	discSeq  int
	segments []segment
	ended    bool
	vod      bool
	// read returns the bytes of a file that segments name (a segment or an
	// init section).
	read func(name string) ([]byte, error)
	// dvr is how far back its playlists reach (0: all it has); a segment
	// that has just left them is still served, for players a little behind.
	dvr time.Duration
	// ts: the rendition is MPEG-TS, served as it is (HLS only).
	ts  bool
	dir string // ts: the variant's directory, relative to the data directory
}

// segment is one segment of a rendition.
type segment struct {
	name string // its file name in URLs
	init string // its init section's file name
	dur  time.Duration
	pdt  time.Time
	disc bool
}

// errNotServed is a request for something the manifest does not have.
var errNotServed = errors.New("playout: not served")

// liveRenditions reads a live output's master and variant playlists.
func liveRenditions(dataDir string, out pipeline.LiveOutput) ([]*rendition, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, out.Dir, pipeline.LivePlaylist))
	if err != nil {
		return nil, err
	}
	entries, err := hls.ReadMaster(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out.Dir, err)
	}
	var list []*rendition
	for _, e := range entries {
		name := path.Dir(e.URI)
		if name == "." || strings.Contains(name, "/") {
			continue
		}
		dir := pipeline.VariantDir(out.Dir, name)
		pb, err := os.ReadFile(filepath.Join(dataDir, dir, path.Base(e.URI)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a variant not written yet
		}
		if err != nil {
			return nil, err
		}
		pl, err := hls.ReadMediaPlaylist(pb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		r := &rendition{name: name, info: e.Info, target: pl.Target, sequence: pl.Sequence, discSeq: pl.DiscontinuitySequence,
			ended: pl.Ended, ts: out.Format != domain.FormatCMAF, dir: dir, id: dir}
		abs := filepath.Join(dataDir, dir)
		r.read = func(name string) ([]byte, error) {
			if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
				return nil, errNotServed
			}
			return os.ReadFile(filepath.Join(abs, name))
		}
		for _, s := range pl.Segments {
			r.segments = append(r.segments, segment{name: s.URI, init: s.Init, dur: s.Duration, pdt: s.ProgramDateTime, disc: s.Discontinuity})
		}
		list = append(list, r)
	}
	return list, nil
}

// listed is the rendition as its playlists list it: the segments of its
// DVR window.
func (r *rendition) listed() *rendition {
	c := *r
	c.window(r.dvr)
	return &c
}

// window keeps the segments of the last d of a live rendition (all when
// d is 0 or the rendition is VOD), and at least three.
func (r *rendition) window(d time.Duration) {
	if d <= 0 || r.vod {
		return
	}
	var sum time.Duration
	keep := 0
	for i := len(r.segments) - 1; i >= 0; i-- {
		if sum >= d && keep >= 3 {
			break
		}
		sum += r.segments[i].dur
		keep++
	}
	drop := len(r.segments) - keep
	for _, s := range r.segments[:drop] {
		if s.disc {
			r.discSeq++
		}
	}
	r.segments = r.segments[drop:]
	r.sequence += drop
}

// find is the segment of a name, if the rendition lists it.
func (r *rendition) find(name string) (segment, bool) {
	for _, s := range r.segments {
		if s.name == name {
			return s, true
		}
	}
	return segment{}, false
}

// archiveIndex is where the init section and each fragment of an
// archive's fragmented MP4 are: the archive is final, so it is read once.
type archiveIndex struct {
	file  string          // its key in store
	store storage.Storage // where the archives are: the data directory, or a bucket over it
	rend  *rendition      // its segments, one per fragment
	init  [2]int64        // offset, length of ftyp+moov
	frags [][2]int64      // offset, length of each moof+mdat (with any styp, sidx before it)
}

// indexMP4 walks the top-level boxes of a fragmented MP4, reading only
// their headers (ranges of an object in a bucket).
func indexMP4(st storage.Storage, file string) (*archiveIndex, error) {
	f, err := st.Open(context.Background(), file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ix := &archiveIndex{file: file, store: st}
	var off int64
	start := int64(-1) // where the current fragment starts
	hdr := make([]byte, 16)
	for {
		if _, err := f.ReadAt(hdr[:8], off); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		switch size {
		case 1:
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				return nil, err
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		case 0:
			size = f.Info().Size - off
		}
		if size < 8 {
			return nil, fmt.Errorf("%s: a %q box of %d bytes at %d", file, typ, size, off)
		}
		switch typ {
		case "moov":
			ix.init = [2]int64{0, off + size}
		case "moof", "styp", "sidx":
			if start < 0 {
				start = off
			}
		case "mdat":
			if start >= 0 {
				ix.frags = append(ix.frags, [2]int64{start, off + size - start})
				start = -1
			}
		}
		off += size
	}
	if ix.init[1] == 0 {
		return nil, fmt.Errorf("%s has no moov", file)
	}
	return ix, nil
}

func (ix *archiveIndex) read(name string) ([]byte, error) {
	at := ix.init
	if name != "init.mp4" {
		n, err := strconv.Atoi(strings.TrimSuffix(name, ".m4s"))
		if err != nil || !strings.HasSuffix(name, ".m4s") || n < 0 || n >= len(ix.frags) {
			return nil, errNotServed
		}
		at = ix.frags[n]
	}
	f, err := ix.store.Open(context.Background(), ix.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, at[1])
	_, err = f.ReadAt(b, at[0])
	return b, err
}

// archives caches archive indexes by file.
type archives struct {
	mu sync.Mutex
	m  map[string]*archiveIndex
}

// index is the index of an archive's file, made (with lay, which lays its
// fragments out as segments) on first use.
func (a *archives) index(st storage.Storage, file string, lay func(*archiveIndex) (*rendition, error)) (*archiveIndex, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ix := a.m[file]; ix != nil {
		return ix, nil
	}
	ix, err := indexMP4(st, file)
	if err != nil {
		return nil, err
	}
	if ix.rend, err = lay(ix); err != nil {
		return nil, err
	}
	if a.m == nil || len(a.m) > 64 {
		a.m = map[string]*archiveIndex{}
	}
	a.m[file] = ix
	return ix, nil
}
