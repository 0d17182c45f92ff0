package benchkit

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Segment is one segment a media playlist lists.
type Segment struct {
	URI      string
	Duration time.Duration
}

// Segments reads a media playlist from disk; nil when it is not there (yet).
func Segments(playlist string) []Segment {
	var out []Segment
	for _, e := range Timeline(playlist) {
		if !e.Part {
			out = append(out, Segment{e.URI, e.Duration})
		}
	}
	return out
}

// Entry is a segment or an LL-HLS part of a media playlist, placed on its
// timeline.
type Entry struct {
	URI      string
	Start    time.Duration // the sum of the segments before it, and of the parts before it in its segment
	Duration time.Duration
	Part     bool // an EXT-X-PART
}

// Timeline reads a media playlist from disk: its segments and its parts, in
// order; nil when it is not there (yet). Starts count from the first segment
// listed, so they are media times only while the playlist still lists the
// run's first segment.
func Timeline(playlist string) []Entry {
	b, err := os.ReadFile(playlist)
	if err != nil {
		return nil
	}
	var out []Entry
	var start, inSegment, dur time.Duration
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(l, "#EXTINF:"), ",")
			dur = seconds(v)
		case strings.HasPrefix(l, "#EXT-X-PART:"):
			attrs := attributes(strings.TrimPrefix(l, "#EXT-X-PART:"))
			d := seconds(attrs["DURATION"])
			out = append(out, Entry{URI: attrs["URI"], Start: start + inSegment, Duration: d, Part: true})
			inSegment += d
		case l != "" && !strings.HasPrefix(l, "#"):
			out = append(out, Entry{URI: l, Start: start, Duration: dur})
			start += dur
			inSegment = 0
		}
	}
	return out
}

func seconds(v string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	return time.Duration(f * float64(time.Second))
}

// attributes splits an attribute list (KEY=value,KEY="quoted, value").
func attributes(list string) map[string]string {
	out := map[string]string{}
	for list != "" {
		key, rest, ok := strings.Cut(list, "=")
		if !ok {
			break
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				end = len(rest) - 1
			}
			val, rest = rest[1:1+end], rest[min(len(rest), 2+end):]
		} else {
			val, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		out[strings.TrimSpace(key)] = val
		list = strings.TrimPrefix(rest, ",")
	}
	return out
}

// Total is the length of the segments.
func Total(segs []Segment) time.Duration {
	var d time.Duration
	for _, s := range segs {
		d += s.Duration
	}
	return d
}

// Variants reads a master playlist from disk and returns the file of each
// variant it lists, in its order; nil when it is not there (yet).
func Variants(master string) []string {
	var out []string
	for _, s := range Segments(master) {
		out = append(out, filepath.Join(filepath.Dir(master), filepath.FromSlash(path.Clean(s.URI))))
	}
	return out
}

// MediaPlaylist is the media playlist that path names: the file itself, or
// when it is a master playlist its first variant, onair's highest rendition.
// ok is false while neither exists yet.
func MediaPlaylist(p string) (media string, ok bool) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	if !bytes.Contains(b, []byte("#EXT-X-STREAM-INF")) {
		return p, true
	}
	if v := Variants(p); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// Watch polls playlists (media playlists, or master playlists whose first
// variant it follows) every period until done is closed, and returns, for
// each playlist, when each of its segment and part URIs was first listed.
func Watch(playlists []string, period time.Duration, done <-chan struct{}) []map[string]time.Time {
	listed := make([]map[string]time.Time, len(playlists))
	media := make([]string, len(playlists))
	for i := range listed {
		listed[i] = map[string]time.Time{}
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return listed
		case <-tick.C:
			for i, p := range playlists {
				if media[i] == "" {
					if media[i], _ = MediaPlaylist(p); media[i] == "" {
						continue
					}
				}
				now := time.Now()
				for _, e := range Timeline(media[i]) {
					if _, ok := listed[i][e.URI]; !ok {
						listed[i][e.URI] = now
					}
				}
			}
		}
	}
}

// Delays lines a (media or master) playlist's listing times up with the media timeline: with
// -re, the frame at media time t left the publisher at t0 + t, so the
// segment's first frame left at t0 plus the length of the segments before
// it. For each segment listed it returns how long after its first frame was
// published it was listed, and its duration. The last segment, cut by the
// publisher's end rather than by time, is left out.
func Delays(playlist string, listed map[string]time.Time, t0 time.Time) (first, dur []time.Duration) {
	var start time.Duration
	media, _ := MediaPlaylist(playlist)
	segs := Segments(media)
	for i, s := range segs {
		if at, ok := listed[s.URI]; ok && i < len(segs)-1 {
			first = append(first, at.Sub(t0.Add(start)))
			dur = append(dur, s.Duration)
		}
		start += s.Duration
	}
	return first, dur
}

// PartDelays is Delays for the LL-HLS parts of a media playlist: how long
// after its first frame was published each part was listed, and its
// duration. Only parts whose segment the playlist still lists from the run's
// start are placed right, so the playlist's window must cover the run.
func PartDelays(playlist string, listed map[string]time.Time, t0 time.Time) (first, dur []time.Duration) {
	media, _ := MediaPlaylist(playlist)
	for _, e := range Timeline(media) {
		if at, ok := listed[e.URI]; ok && e.Part {
			first = append(first, at.Sub(t0.Add(e.Start)))
			dur = append(dur, e.Duration)
		}
	}
	return first, dur
}
