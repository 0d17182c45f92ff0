package hlstest

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Master is a parsed multivariant playlist.
type Master struct {
	Variants []Variant
	// Media are the EXT-X-MEDIA renditions (alternate audio).
	Renditions []Rendition
}

// Rendition is one EXT-X-MEDIA rendition.
type Rendition struct {
	Type, GroupID, Name, URI string
	Default                  bool
}

// Variant is one EXT-X-STREAM-INF entry.
type Variant struct {
	URI                         string
	Bandwidth, AverageBandwidth int
	Codecs                      string
	Width, Height               int
	FrameRate                   float64
	Audio                       string // its AUDIO group
}

var (
	resolution = regexp.MustCompile(`^([0-9]+)x([0-9]+)$`)
	codecList  = regexp.MustCompile(`^(avc1\.[0-9a-fA-F]{6}|hvc1\.[A-C]?[0-9]+\.[0-9a-fA-F]+\.[LH][0-9]+(\.[0-9A-F]{1,2})*|mp4a\.40\.[0-9]+)(,(avc1\.[0-9a-fA-F]{6}|hvc1\.[A-C]?[0-9]+\.[0-9a-fA-F]+\.[LH][0-9]+(\.[0-9A-F]{1,2})*|mp4a\.40\.[0-9]+))*$`)
)

// ParseMaster parses a multivariant playlist: every EXT-X-STREAM-INF with a
// BANDWIDTH and a URI line after it, CODECS as RFC 6381 names them,
// RESOLUTION and FRAME-RATE well formed.
func ParseMaster(b []byte) (*Master, error) {
	ls, err := lines(b)
	if err != nil {
		return nil, err
	}
	m := &Master{}
	var pending *Variant
	for i, l := range ls[1:] {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d (%s): %s", i+2, l, fmt.Sprintf(format, a...))
		}
		tag, val, _ := strings.Cut(l, ":")
		switch {
		case l == "" || strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#EXT"):
		case !strings.HasPrefix(l, "#"):
			if pending == nil {
				return nil, fail("a URI without EXT-X-STREAM-INF")
			}
			pending.URI = l
			m.Variants = append(m.Variants, *pending)
			pending = nil
		case tag == "#EXT-X-VERSION" || tag == "#EXT-X-INDEPENDENT-SEGMENTS":
		case tag == "#EXT-X-STREAM-INF":
			a, err := attrs(val)
			if err != nil {
				return nil, fail("%v", err)
			}
			v := &Variant{}
			if v.Bandwidth, err = strconv.Atoi(a["BANDWIDTH"]); err != nil || v.Bandwidth <= 0 {
				return nil, fail("BANDWIDTH %q", a["BANDWIDTH"])
			}
			if x, ok := a["AVERAGE-BANDWIDTH"]; ok {
				if v.AverageBandwidth, err = strconv.Atoi(x); err != nil {
					return nil, fail("AVERAGE-BANDWIDTH %q", x)
				}
			}
			if x, ok := a["CODECS"]; ok {
				if v.Codecs, _ = quoted(a, "CODECS"); !codecList.MatchString(v.Codecs) {
					return nil, fail("CODECS %s", x)
				}
			}
			if x, ok := a["RESOLUTION"]; ok {
				r := resolution.FindStringSubmatch(x)
				if r == nil {
					return nil, fail("RESOLUTION %q", x)
				}
				v.Width, _ = strconv.Atoi(r[1])
				v.Height, _ = strconv.Atoi(r[2])
			}
			if x, ok := a["FRAME-RATE"]; ok {
				if v.FrameRate, err = float(x); err != nil {
					return nil, fail("FRAME-RATE %v", err)
				}
			}
			if x, ok := a["AUDIO"]; ok {
				if v.Audio, ok = quoted(a, "AUDIO"); !ok {
					return nil, fail("AUDIO %s is not quoted", x)
				}
			}
			pending = v
		case tag == "#EXT-X-MEDIA":
			a, err := attrs(val)
			if err != nil {
				return nil, fail("%v", err)
			}
			md := Rendition{Type: a["TYPE"], Default: a["DEFAULT"] == "YES"}
			var ok1, ok2 bool
			md.GroupID, ok1 = quoted(a, "GROUP-ID")
			md.Name, ok2 = quoted(a, "NAME")
			md.URI, _ = quoted(a, "URI")
			if md.Type != "AUDIO" && md.Type != "VIDEO" && md.Type != "SUBTITLES" && md.Type != "CLOSED-CAPTIONS" || !ok1 || !ok2 {
				return nil, fail("EXT-X-MEDIA needs TYPE, a quoted GROUP-ID and NAME")
			}
			m.Renditions = append(m.Renditions, md)
		default:
			return nil, fail("unknown tag")
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("the last EXT-X-STREAM-INF has no URI")
	}
	if len(m.Variants) == 0 {
		return nil, fmt.Errorf("no variant")
	}
	for _, v := range m.Variants {
		if v.Audio != "" && !slices.ContainsFunc(m.Renditions, func(md Rendition) bool { return md.Type == "AUDIO" && md.GroupID == v.Audio }) {
			return nil, fmt.Errorf("variant %s names the AUDIO group %q, which no EXT-X-MEDIA has", v.URI, v.Audio)
		}
	}
	return m, nil
}

// Checker follows one media playlist from version to version.
type Checker struct {
	// Exists reports whether a URI of the playlist can be fetched; nil: not
	// checked.
	Exists func(uri string) error
	prev   *Media
}

// Dir is an Exists that looks for relative URIs in dir (the others, such as
// a key's absolute path on the origin, are not checked).
func Dir(dir string) func(string) error {
	return func(uri string) error {
		if strings.HasPrefix(uri, "/") || strings.Contains(uri, "://") {
			return nil
		}
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(uri)))
		return err
	}
}

// HTTP is an Exists that fetches each URI (HEAD) relative to the playlist's
// URL, as a player would, keys' absolute paths included.
func HTTP(playlistURL string) func(string) error {
	return func(uri string) error {
		base, err := url.Parse(playlistURL)
		if err != nil {
			return err
		}
		ref, err := url.Parse(uri)
		if err != nil {
			return err
		}
		resp, err := http.Head(base.ResolveReference(ref).String())
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HEAD %s: %s", base.ResolveReference(ref), resp.Status)
		}
		return nil
	}
}

// Check parses a new version of the playlist and checks it, and how it
// follows the previous one: the media sequence never goes back, a segment
// keeps its URI, duration and discontinuity, the discontinuity sequence
// counts the discontinuities that left, the target duration never shrinks,
// and every URI listed exists.
func (c *Checker) Check(b []byte) (*Media, error) {
	m, err := ParseMedia(b)
	if err != nil {
		return nil, err
	}
	if c.Exists != nil {
		var uris []string
		for _, s := range m.Segments {
			uris = append(uris, s.URI)
			if s.Map != "" {
				uris = append(uris, s.Map)
			}
			for _, p := range s.Parts {
				uris = append(uris, p.URI)
			}
		}
		for _, p := range m.Open {
			uris = append(uris, p.URI)
		}
		for _, u := range uris {
			if err := c.Exists(u); err != nil {
				return nil, fmt.Errorf("%s is listed and cannot be had: %v", u, err)
			}
		}
	}
	if p := c.prev; p != nil {
		if m.Seq < p.Seq {
			return nil, fmt.Errorf("media sequence went back from %d to %d", p.Seq, m.Seq)
		}
		if m.Target < p.Target {
			return nil, fmt.Errorf("target duration went down from %d to %d", p.Target, m.Target)
		}
		gone := 0
		for i, s := range p.Segments {
			seq := p.Seq + p.Skipped + i
			if seq < m.Seq {
				if s.Discontinuity {
					gone++
				}
				continue
			}
			if j := seq - m.Seq - m.Skipped; j >= 0 && j < len(m.Segments) {
				n := m.Segments[j]
				if n.URI != s.URI || n.Discontinuity != s.Discontinuity || n.Duration != s.Duration {
					return nil, fmt.Errorf("segment %d changed from %+v to %+v", seq, s, n)
				}
			}
		}
		if p.Skipped > 0 {
			gone = 0 // what a delta update skipped is not known to have left
		}
		switch all := p.Skipped == 0 && m.Seq <= p.Seq+len(p.Segments); {
		case all && m.DiscSeq != p.DiscSeq+gone:
			return nil, fmt.Errorf("discontinuity sequence %d, want %d + %d that left", m.DiscSeq, p.DiscSeq, gone)
		case !all && m.DiscSeq < p.DiscSeq+gone:
			return nil, fmt.Errorf("discontinuity sequence %d, want at least %d + %d that left", m.DiscSeq, p.DiscSeq, gone)
		}
		if p.Ended && !m.Ended && m.Seq+m.Skipped+len(m.Segments) <= p.Seq+p.Skipped+len(p.Segments) && len(m.Open) == 0 {
			return nil, fmt.Errorf("an ended playlist lost its EXT-X-ENDLIST without new media")
		}
	}
	c.prev = m
	return m, nil
}
