package hls

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// segment is one media segment, listed or being written.
type segment struct {
	uri    string
	dur    time.Duration
	disc   bool      // an EXT-X-DISCONTINUITY comes before it
	pdt    time.Time // its EXT-X-PROGRAM-DATE-TIME; zero for none
	key    *segKey   // the key that encrypts it; nil in the clear
	init   string    // its EXT-X-MAP (CMAF)
	parts  []part    // its LL-HLS parts, while it is recent
	size   int64     // bytes
	frames int       // video frames, for the frame rate
}

// segKey is how a segment is encrypted.
type segKey struct {
	uri   string
	iv    [16]byte
	bytes [16]byte // the key, while the segment is written; not in the playlist
}

// part is one LL-HLS part of a segment.
type part struct {
	uri         string
	dur         time.Duration
	independent bool
}

// playlist is a media playlist as the variant writes it.
type playlist struct {
	target     int           // EXT-X-TARGETDURATION, seconds; never shrinks
	partTarget time.Duration // EXT-X-PART-INF; 0 without LL-HLS
	seq        int           // media sequence number of segs[0]
	discSeq    int
	segs       []*segment
	open       *segment // the segment being written, whose parts are listed (LL-HLS)
	hint       string   // the preload hint: the next part's URI
	ended      bool
	// skips offers delta updates (CAN-SKIP-UNTIL, RFC 8216bis 6.2.5.1) of
	// six target durations, the least the RFC allows.
	skips bool
	// What a process reopening the directory needs to continue the
	// timeline, as a comment line: the latest timestamp of the last listed
	// segment's source, a digest of its tracks' configuration, the number of
	// the next part file.
	state stateLine
}

// stateLine is the "## onair" comment: players ignore comments (RFC 8216 4.1).
type stateLine struct {
	end      time.Duration // the latest timestamp, on any track
	hasEnd   bool
	config   string
	nextPart int
}

const stateTag = "## onair "

// nextSeq is the media sequence number of the next segment.
func (p *playlist) nextSeq() int { return p.seq + len(p.segs) }

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 5, 64)
}

// targetOf is the smallest target duration that a segment of d fits
// (RFC 8216 4.3.3.1 rounds; onair rounds up, as players that check expect,
// forgiving the microseconds that timestamps in 90 kHz add).
func targetOf(d time.Duration) int {
	return max(1, int(math.Ceil((d - time.Millisecond).Seconds())))
}

// render writes the playlist out; delta makes it the delta update, in
// which the segments older than the skip boundary are an EXT-X-SKIP.
func (p *playlist) render(delta bool) []byte {
	var b bytes.Buffer
	until := time.Duration(6*p.target) * time.Second
	skipped := 0
	if delta && p.skips {
		var total, acc time.Duration
		for _, s := range p.segs {
			total += s.dur
		}
		for _, s := range p.segs {
			if acc += s.dur; total-acc < until {
				break
			}
			skipped++
		}
	}
	version := 3
	switch {
	case skipped > 0:
		version = 9
	case p.partTarget > 0 || p.hasMap():
		version = 6
	}
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n", version, p.target)
	if p.partTarget > 0 {
		fmt.Fprintf(&b, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%s", fmtDur(3*p.partTarget))
		if p.skips {
			fmt.Fprintf(&b, ",CAN-SKIP-UNTIL=%s", fmtDur(until))
		}
		fmt.Fprintf(&b, "\n#EXT-X-PART-INF:PART-TARGET=%s\n", fmtDur(p.partTarget))
	}
	fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-DISCONTINUITY-SEQUENCE:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n", p.seq, p.discSeq)
	fmt.Fprintf(&b, "%send=%d has-end=%t config=%s next-part=%d\n", stateTag, p.state.end, p.state.hasEnd, orDash(p.state.config), p.state.nextPart)
	var key *segKey
	init := ""
	head := func(s *segment) {
		if s.disc {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		switch {
		case s.key != nil && (key == nil || key.uri != s.key.uri || key.iv != s.key.iv):
			fmt.Fprintf(&b, "#EXT-X-KEY:METHOD=AES-128,URI=%q,IV=0x%s\n", s.key.uri, hex.EncodeToString(s.key.iv[:]))
		case s.key == nil && key != nil:
			b.WriteString("#EXT-X-KEY:METHOD=NONE\n")
		}
		key = s.key
		if s.init != "" && (s.init != init || s.disc) {
			fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q\n", s.init)
		}
		init = s.init
		if !s.pdt.IsZero() {
			fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", s.pdt.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		for _, pt := range s.parts {
			fmt.Fprintf(&b, "#EXT-X-PART:DURATION=%s,URI=%q", fmtDur(pt.dur), pt.uri)
			if pt.independent {
				b.WriteString(",INDEPENDENT=YES")
			}
			b.WriteByte('\n')
		}
	}
	if skipped > 0 {
		fmt.Fprintf(&b, "#EXT-X-SKIP:SKIPPED-SEGMENTS=%d\n", skipped)
	}
	for _, s := range p.segs[skipped:] {
		head(s)
		fmt.Fprintf(&b, "#EXTINF:%s,\n%s\n", fmtDur(s.dur), s.uri)
	}
	if p.open != nil && len(p.open.parts) > 0 {
		head(p.open)
	}
	if p.hint != "" && !p.ended {
		fmt.Fprintf(&b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=%q\n", p.hint)
	}
	if p.ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return b.Bytes()
}

func (p *playlist) hasMap() bool {
	for _, s := range p.segs {
		if s.init != "" {
			return true
		}
	}
	return p.open != nil && p.open.init != ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parsePlaylist reads back a playlist that render wrote, for a variant that
// continues it. Parts are not kept: the segment they belonged to was not
// finished, and the next one starts after a break.
func parsePlaylist(b []byte) (*playlist, error) {
	p := &playlist{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	cur := &segment{}
	var key *segKey
	init := ""
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if line == 1 && l != "#EXTM3U" {
			return nil, fmt.Errorf("line 1: %q is not #EXTM3U", l)
		}
		bad := func(err error) error { return fmt.Errorf("line %d (%q): %w", line, l, err) }
		var err error
		switch {
		case l == "" || line == 1:
		case strings.HasPrefix(l, "#EXT-X-TARGETDURATION:"):
			p.target, err = strconv.Atoi(l[len("#EXT-X-TARGETDURATION:"):])
		case strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"):
			p.seq, err = strconv.Atoi(l[len("#EXT-X-MEDIA-SEQUENCE:"):])
		case strings.HasPrefix(l, "#EXT-X-DISCONTINUITY-SEQUENCE:"):
			p.discSeq, err = strconv.Atoi(l[len("#EXT-X-DISCONTINUITY-SEQUENCE:"):])
		case strings.HasPrefix(l, "#EXT-X-PART-INF:"):
			var v float64
			v, err = strconv.ParseFloat(attr(l, "PART-TARGET"), 64)
			p.partTarget = time.Duration(v * float64(time.Second))
		case l == "#EXT-X-DISCONTINUITY":
			cur.disc = true
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			key = nil
			if attr(l, "METHOD") == "AES-128" {
				k := &segKey{uri: attr(l, "URI")}
				var iv []byte
				iv, err = hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(attr(l, "IV"), "0x"), "0X"))
				if err == nil && len(iv) != 16 {
					err = fmt.Errorf("an IV of %d bytes", len(iv))
				}
				copy(k.iv[:], iv)
				key = k
			}
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			init = attr(l, "URI")
		case strings.HasPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"):
			cur.pdt, err = time.Parse(time.RFC3339Nano, l[len("#EXT-X-PROGRAM-DATE-TIME:"):])
		case strings.HasPrefix(l, "#EXTINF:"):
			v, _, _ := strings.Cut(l[len("#EXTINF:"):], ",")
			var f float64
			f, err = strconv.ParseFloat(v, 64)
			cur.dur = time.Duration(math.Round(f * float64(time.Second)))
		case strings.HasPrefix(l, stateTag):
			err = p.state.parse(l[len(stateTag):])
		case l == "#EXT-X-ENDLIST":
			p.ended = true
		case strings.HasPrefix(l, "#"):
			// Tags of parts and hints, and those render writes from config.
		default:
			cur.uri, cur.key, cur.init = l, key, init
			p.segs = append(p.segs, cur)
			cur = &segment{}
		}
		if err != nil {
			return nil, bad(err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// attr is the value of an attribute in a tag's attribute list, unquoted; ""
// when it is not there. It reads what render writes: no commas in values.
func attr(tag, name string) string {
	_, list, _ := strings.Cut(tag, ":")
	for _, kv := range strings.Split(list, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func (s *stateLine) parse(l string) error {
	for _, kv := range strings.Fields(l) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "end":
			var n int64
			n, err = strconv.ParseInt(v, 10, 64)
			s.end = time.Duration(n)
		case "has-end":
			s.hasEnd, err = strconv.ParseBool(v)
		case "config":
			if v != "-" {
				s.config = v
			}
		case "next-part":
			s.nextPart, err = strconv.Atoi(v)
		}
		if err != nil {
			return fmt.Errorf("state %s: %w", k, err)
		}
	}
	return nil
}
