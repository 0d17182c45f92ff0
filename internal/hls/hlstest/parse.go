// Package hlstest checks HLS playlists as strictly as tests need: a parser
// that rejects what RFC 8216 (and RFC 8216bis for LL-HLS) does not allow, the
// rules between a playlist's tags (target duration, part durations, version),
// and a Checker that follows one playlist from version to version (media
// sequence never back, discontinuity sequence consistent, every URI there).
// It also makes test media: ffmpeg output read into media items.
package hlstest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Media is a parsed media playlist.
type Media struct {
	Version, Target     int
	Seq, DiscSeq        int
	PartTarget          float64 // 0 without LL-HLS
	CanBlockReload      bool
	PartHoldBack        float64
	IndependentSegments bool
	CanSkipUntil        float64 // 0: no delta updates
	Skipped             int     // a delta update's EXT-X-SKIP: Segments start at Seq+Skipped
	Segments            []Segment
	Open                []Part // parts of the segment being written, after the last EXTINF
	Hint                string // EXT-X-PRELOAD-HINT URI of TYPE=PART
	Ended               bool
}

// Segment is one media segment with the tags that apply to it.
type Segment struct {
	URI           string
	Duration      float64
	Discontinuity bool
	Key           Key // METHOD="" or NONE: in the clear
	Map           string
	PDT           time.Time
	Parts         []Part
}

// Key is the EXT-X-KEY that applies to a segment.
type Key struct{ Method, URI, IV string }

// Part is one EXT-X-PART.
type Part struct {
	URI         string
	Duration    float64
	Independent bool
}

// ParseMedia parses a media playlist and checks its rules: every tag known
// and well formed, EXT-X-TARGETDURATION once and at least every EXTINF
// rounded, the version the tags need, and with LL-HLS every part no longer
// than PART-TARGET, those before a segment's last at least 85% of it, a
// segment's parts adding up to it, blocking reload and PART-HOLD-BACK.
func ParseMedia(b []byte) (*Media, error) {
	ls, err := lines(b)
	if err != nil {
		return nil, err
	}
	m := &Media{Version: 1, Target: -1}
	var cur Segment
	var key Key
	mapURI := ""
	seen := map[string]bool{}
	needVersion := 1
	for i, l := range ls[1:] {
		n := i + 2
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d (%s): %s", n, l, fmt.Sprintf(format, a...))
		}
		if l == "" || strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#EXT") {
			continue // blank lines and comments
		}
		if !strings.HasPrefix(l, "#") {
			if strings.TrimSpace(l) != l {
				return nil, fail("white space around a URI")
			}
			if cur.Duration < 0 || !seen["EXTINF-pending"] {
				return nil, fail("a URI without #EXTINF")
			}
			seen["EXTINF-pending"] = false
			cur.URI, cur.Key, cur.Map = l, key, mapURI
			m.Segments = append(m.Segments, cur)
			cur = Segment{}
			continue
		}
		tag, val, hasVal := strings.Cut(l, ":")
		once := func() error {
			if seen[tag] {
				return fail("%s twice", tag)
			}
			seen[tag] = true
			return nil
		}
		beforeSegments := func() error {
			if len(m.Segments) > 0 || seen["EXTINF-pending"] {
				return fail("%s after the first segment", tag)
			}
			return nil
		}
		var a map[string]string
		switch tag {
		case "#EXT-X-KEY", "#EXT-X-MAP", "#EXT-X-PART", "#EXT-X-PART-INF", "#EXT-X-SERVER-CONTROL", "#EXT-X-PRELOAD-HINT", "#EXT-X-STREAM-INF", "#EXT-X-MEDIA":
			if a, err = attrs(val); err != nil || !hasVal {
				return nil, fail("attribute list: %v", err)
			}
		}
		switch tag {
		case "#EXT-X-VERSION":
			if err := once(); err != nil {
				return nil, err
			}
			if !integer.MatchString(val) {
				return nil, fail("version")
			}
			m.Version, _ = strconv.Atoi(val)
		case "#EXT-X-TARGETDURATION":
			if err := once(); err != nil {
				return nil, err
			}
			if !integer.MatchString(val) {
				return nil, fail("not a decimal integer")
			}
			m.Target, _ = strconv.Atoi(val)
		case "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE":
			if err := once(); err != nil {
				return nil, err
			}
			if err := beforeSegments(); err != nil {
				return nil, err
			}
			if tag == "#EXT-X-DISCONTINUITY-SEQUENCE" && seen["#EXT-X-DISCONTINUITY"] {
				return nil, fail("after an EXT-X-DISCONTINUITY")
			}
			if !integer.MatchString(val) {
				return nil, fail("not a decimal integer")
			}
			x, _ := strconv.Atoi(val)
			if tag == "#EXT-X-MEDIA-SEQUENCE" {
				m.Seq = x
			} else {
				m.DiscSeq = x
			}
		case "#EXT-X-SKIP":
			if err := once(); err != nil {
				return nil, err
			}
			if err := beforeSegments(); err != nil {
				return nil, err
			}
			a, err := attrs(val)
			if err != nil || !integer.MatchString(a["SKIPPED-SEGMENTS"]) {
				return nil, fail("SKIPPED-SEGMENTS: %v", err)
			}
			m.Skipped, _ = strconv.Atoi(a["SKIPPED-SEGMENTS"])
			needVersion = max(needVersion, 9)
		case "#EXT-X-INDEPENDENT-SEGMENTS":
			m.IndependentSegments = true
		case "#EXT-X-PLAYLIST-TYPE":
			if val != "EVENT" && val != "VOD" {
				return nil, fail("playlist type")
			}
		case "#EXT-X-ENDLIST":
			m.Ended = true
		case "#EXT-X-DISCONTINUITY":
			seen[tag] = true
			cur.Discontinuity = true
		case "#EXT-X-PROGRAM-DATE-TIME":
			if cur.PDT, err = time.Parse(time.RFC3339Nano, val); err != nil {
				return nil, fail("date: %v", err)
			}
		case "#EXTINF":
			d, _, ok := strings.Cut(val, ",")
			if !ok {
				return nil, fail("no comma after the duration")
			}
			if cur.Duration, err = float(d); err != nil {
				return nil, fail("%v", err)
			}
			if strings.Contains(d, ".") {
				needVersion = max(needVersion, 3)
			}
			seen["EXTINF-pending"] = true
		case "#EXT-X-KEY":
			method := a["METHOD"]
			key = Key{Method: method}
			switch method {
			case "NONE":
				if len(a) != 1 {
					return nil, fail("METHOD=NONE with other attributes")
				}
				continue
			case "AES-128", "SAMPLE-AES":
			default:
				return nil, fail("METHOD %q", method)
			}
			if key.URI, _ = quoted(a, "URI"); key.URI == "" {
				return nil, fail("no URI")
			}
			if iv, ok := a["IV"]; ok {
				if !hexIV.MatchString(iv) {
					return nil, fail("IV %q", iv)
				}
				key.IV = iv
				needVersion = max(needVersion, 2)
			}
		case "#EXT-X-MAP":
			if mapURI, _ = quoted(a, "URI"); mapURI == "" {
				return nil, fail("no URI")
			}
			needVersion = max(needVersion, 6)
		case "#EXT-X-PART-INF":
			if err := once(); err != nil {
				return nil, err
			}
			if m.PartTarget, err = float(a["PART-TARGET"]); err != nil || m.PartTarget <= 0 {
				return nil, fail("PART-TARGET: %v", err)
			}
		case "#EXT-X-SERVER-CONTROL":
			if err := once(); err != nil {
				return nil, err
			}
			for k, x := range a {
				switch k {
				case "CAN-BLOCK-RELOAD":
					if x != "YES" {
						return nil, fail("CAN-BLOCK-RELOAD=%s", x)
					}
					m.CanBlockReload = true
				case "PART-HOLD-BACK", "HOLD-BACK", "CAN-SKIP-UNTIL":
					f, err := float(x)
					if err != nil {
						return nil, fail("%s: %v", k, err)
					}
					switch k {
					case "PART-HOLD-BACK":
						m.PartHoldBack = f
					case "CAN-SKIP-UNTIL":
						m.CanSkipUntil = f
					}
				case "CAN-SKIP-DATERANGES":
				default:
					return nil, fail("attribute %s", k)
				}
			}
		case "#EXT-X-PART":
			p := Part{}
			if p.URI, _ = quoted(a, "URI"); p.URI == "" {
				return nil, fail("no URI")
			}
			if p.Duration, err = float(a["DURATION"]); err != nil {
				return nil, fail("DURATION: %v", err)
			}
			if x, ok := a["INDEPENDENT"]; ok {
				if x != "YES" {
					return nil, fail("INDEPENDENT=%s", x)
				}
				p.Independent = true
			}
			cur.Parts = append(cur.Parts, p)
		case "#EXT-X-PRELOAD-HINT":
			typ := a["TYPE"]
			uri, _ := quoted(a, "URI")
			if typ != "PART" && typ != "MAP" || uri == "" {
				return nil, fail("TYPE %q, URI %q", typ, uri)
			}
			if typ == "PART" {
				if m.Hint != "" {
					return nil, fail("a second part hint")
				}
				m.Hint = uri
			}
		default:
			return nil, fail("unknown tag")
		}
	}
	if seen["EXTINF-pending"] {
		return nil, fmt.Errorf("the last #EXTINF has no URI")
	}
	m.Open = cur.Parts
	return m, m.rules(needVersion)
}

// rules checks what holds between a playlist's tags.
func (m *Media) rules(needVersion int) error {
	if m.Target < 0 {
		return fmt.Errorf("no EXT-X-TARGETDURATION")
	}
	if m.Version < needVersion {
		return fmt.Errorf("EXT-X-VERSION %d, and its tags need %d", m.Version, needVersion)
	}
	if m.CanSkipUntil > 0 && m.CanSkipUntil < 6*float64(m.Target) {
		return fmt.Errorf("CAN-SKIP-UNTIL %.3f is less than six target durations", m.CanSkipUntil)
	}
	if m.Skipped > 0 && m.CanSkipUntil == 0 {
		return fmt.Errorf("EXT-X-SKIP without CAN-SKIP-UNTIL")
	}
	hasParts := len(m.Open) > 0
	for i, s := range m.Segments {
		if r := int(math.Round(s.Duration)); r > m.Target {
			return fmt.Errorf("segment %d (%s): EXTINF %.5f rounds above the target duration %d", m.Seq+m.Skipped+i, s.URI, s.Duration, m.Target)
		}
		hasParts = hasParts || len(s.Parts) > 0
		if len(s.Parts) > 0 {
			sum := 0.0
			for _, p := range s.Parts {
				sum += p.Duration
			}
			if math.Abs(sum-s.Duration) > 0.001*float64(len(s.Parts))+0.001 {
				return fmt.Errorf("segment %d (%s): its parts add up to %.5f, its EXTINF says %.5f", m.Seq+m.Skipped+i, s.URI, sum, s.Duration)
			}
		}
	}
	if !hasParts {
		return nil
	}
	switch {
	case m.PartTarget == 0:
		return fmt.Errorf("parts without EXT-X-PART-INF")
	case !m.CanBlockReload:
		return fmt.Errorf("parts without CAN-BLOCK-RELOAD=YES")
	case m.PartHoldBack < 2*m.PartTarget:
		return fmt.Errorf("PART-HOLD-BACK %.3f is less than twice PART-TARGET %.3f", m.PartHoldBack, m.PartTarget)
	}
	check := func(where string, ps []Part, lastFinal bool) error {
		for j, p := range ps {
			if p.Duration > m.PartTarget+0.00001 {
				return fmt.Errorf("%s part %d (%s): %.5f s, longer than PART-TARGET %.5f", where, j, p.URI, p.Duration, m.PartTarget)
			}
			if (j < len(ps)-1 || !lastFinal) && p.Duration < 0.85*m.PartTarget {
				return fmt.Errorf("%s part %d (%s): %.5f s, less than 85%% of PART-TARGET %.5f", where, j, p.URI, p.Duration, m.PartTarget)
			}
		}
		return nil
	}
	for i, s := range m.Segments {
		if err := check(fmt.Sprintf("segment %d", m.Seq+m.Skipped+i), s.Parts, true); err != nil {
			return err
		}
	}
	return check("the open segment", m.Open, false)
}
