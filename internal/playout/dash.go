package playout

import (
	"context"
	"encoding/hex"
	"fmt"
	"html"
	"strings"
	"time"

	"onair/internal/cmafx"
	"onair/internal/domain"
)

// The DASH of a manifest: an MPD with a video adaptation set of the
// renditions the profile keeps and an audio one, each representation one
// track of a CMAF rendition, its SegmentTimeline taken from the segments'
// own decode times. Live it is dynamic; once the live output has ended, or
// for the archive, static.

// DRM system ids, in the MPD's ContentProtection.
const (
	systemClearKey  = "e2719d58-a985-b3c9-781a-b030af78d30e" // what DASH-IF names ClearKey in the MPD
	systemWidevine  = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
	systemPlayReady = "9a04f079-9840-4286-ab92-e65be0885f95"
)

// repr is one representation: a track of a rendition, with its timeline.
type repr struct {
	id, kind   string
	rend       *rendition
	t          cmafx.Track
	initName   string
	startNum   int
	template   string // the media template's file part
	timeline   []span
	startTime  time.Time // the wall clock of decode time 0, from the first segment's date
	bandwidth  int
	codec      string
	protection string
}

type span struct{ t, d uint64 }

func (s *Service) mpd(ctx context.Context, v *view, rends []*rendition, token string) ([]byte, error) {
	pre := prefix(v.config, formatDASH)
	if pre == string(schemeNone) || len(rends) == 0 || rends[0].ts {
		return nil, errNotServed
	}
	video, audio, err := s.reprs(v, rends)
	if err != nil {
		return nil, err
	}
	if len(video)+len(audio) == 0 {
		return nil, errNotServed
	}
	var key *cmafx.Key
	var entry domain.DRMEntry
	if sch := schemeOf(v.config, formatDASH); sch != schemeClear {
		entry = drmEntry(v.config, formatDASH)
		k, err := s.contentKey(ctx, v, entry)
		if err != nil {
			return nil, err
		}
		key = &k
	}
	lead := append(video, audio...)[0]
	r := lead.rend
	dynamic := !r.ended
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" xmlns:dashif="https://dashif.org/CPS" ` +
		`profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S"`)
	var total uint64
	for _, sp := range lead.timeline {
		total += sp.d
	}
	length := time.Duration(float64(total) / float64(lead.t.Timescale) * float64(time.Second))
	if dynamic {
		ast := lead.startTime
		if ast.IsZero() && v.channel.Run != nil && v.channel.Run.Started != nil {
			ast = *v.channel.Run.Started
		}
		fmt.Fprintf(&b, ` type="dynamic" availabilityStartTime="%s" publishTime="%s" minimumUpdatePeriod="%s" timeShiftBufferDepth="%s" suggestedPresentationDelay="%s"`,
			ast.UTC().Format(time.RFC3339Nano), s.cfg.Now().UTC().Format(time.RFC3339Nano), isoDur(time.Duration(max(r.target, 1))*time.Second),
			isoDur(length), isoDur(time.Duration(3*max(r.target, 1))*time.Second))
	} else {
		fmt.Fprintf(&b, ` type="static" mediaPresentationDuration="%s"`, isoDur(length))
	}
	b.WriteString(">\n")
	if dynamic {
		fmt.Fprintf(&b, "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\"%s\"/>\n", s.cfg.Now().UTC().Format(time.RFC3339Nano))
	}
	start := uint64(0)
	if !dynamic && len(lead.timeline) > 0 {
		start = lead.timeline[0].t
	}
	fmt.Fprintf(&b, "<Period id=\"0\" start=\"PT0S\">\n")
	for _, set := range [][]*repr{video, audio} {
		if len(set) == 0 {
			continue
		}
		kind := set[0].kind
		fmt.Fprintf(&b, "<AdaptationSet id=\"%d\" contentType=\"%s\" mimeType=\"%s/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\">\n",
			map[string]int{domain.TrackVideo: 0, domain.TrackAudio: 1}[kind], kind, kind)
		if key != nil {
			writeProtection(&b, schemeOf(v.config, formatDASH), *key, entry, s.licenseURL(v, token))
		}
		for _, rp := range set {
			pto := uint64(0)
			if !dynamic {
				// A static presentation starts at its first sample.
				pto = uint64(float64(start) / float64(lead.t.Timescale) * float64(rp.t.Timescale))
			}
			rp.write(&b, pre, pto)
		}
		b.WriteString("</AdaptationSet>\n")
	}
	b.WriteString("</Period>\n</MPD>\n")
	return []byte(b.String()), nil
}

// reprs are the video and audio representations of the renditions a
// profile keeps.
func (s *Service) reprs(v *view, rends []*rendition) (video, audio []*repr, err error) {
	for _, r := range rends {
		rp, err := s.repr(r, domain.TrackVideo)
		if err != nil {
			return nil, nil, err
		}
		if rp != nil {
			video = append(video, rp)
		}
	}
	if _, ok := keptAudio(v.config, rends); ok {
		rp, err := s.repr(rends[0], domain.TrackAudio)
		if err != nil {
			return nil, nil, err
		}
		if rp != nil {
			audio = append(audio, rp)
		}
	}
	return video, audio, nil
}

// write writes the representation, its SegmentTemplate under the URL
// prefix pre and its timeline, which starts at pto.
func (rp *repr) write(b *strings.Builder, pre string, pto uint64) {
	fmt.Fprintf(b, `<Representation id="%s" bandwidth="%d" codecs="%s"`, rp.id, max(rp.bandwidth, 1), html.EscapeString(rp.codec))
	if rp.kind == domain.TrackVideo && rp.t.Width > 0 {
		fmt.Fprintf(b, ` width="%d" height="%d"`, rp.t.Width, rp.t.Height)
		if rp.rend.info.FrameRate > 0 {
			fmt.Fprintf(b, ` frameRate="%d"`, int(rp.rend.info.FrameRate+0.5))
		}
	} else if rp.kind == domain.TrackAudio {
		fmt.Fprintf(b, ` audioSamplingRate="%d"`, rp.t.SampleRate)
	}
	b.WriteString(">\n")
	fmt.Fprintf(b, `<SegmentTemplate timescale="%d" presentationTimeOffset="%d" startNumber="%d" initialization="%s/%s/%s/%s" media="%s/%s/%s/%s">`+"\n",
		rp.t.Timescale, pto, rp.startNum, pre, rp.kind, rp.rend.name, rp.initName, pre, rp.kind, rp.rend.name, rp.template)
	b.WriteString("<SegmentTimeline>\n")
	var next uint64
	for i, sp := range rp.timeline {
		if i == 0 || sp.t != next {
			fmt.Fprintf(b, "<S t=\"%d\" d=\"%d\"/>\n", sp.t, sp.d)
		} else {
			fmt.Fprintf(b, "<S d=\"%d\"/>\n", sp.d)
		}
		next = sp.t + sp.d
	}
	b.WriteString("</SegmentTimeline>\n</SegmentTemplate>\n</Representation>\n")
}

// repr is a rendition's track of a kind as a representation; nil when the
// rendition has none.
func (s *Service) repr(all *rendition, kind string) (*repr, error) {
	r := all.listed()
	if len(r.segments) == 0 {
		return nil, nil
	}
	initName := r.segments[len(r.segments)-1].init
	raw, err := r.read(initName)
	if err != nil {
		return nil, err
	}
	tracks, err := cmafx.Tracks(raw)
	if err != nil {
		return nil, err
	}
	rp := &repr{id: kind[:1] + "-" + r.name, kind: kind, rend: r, initName: initName, bandwidth: r.info.Bandwidth}
	found := false
	for _, t := range tracks {
		if t.Kind == kind {
			rp.t, rp.codec, found = t, t.Codec, true
			break
		}
	}
	if !found {
		return nil, nil
	}
	if kind == domain.TrackAudio {
		rp.bandwidth = 128000
	}
	first := r.segments[0].name
	switch {
	case r.vod:
		rp.template, rp.startNum = "$Number$.m4s", 0
	case strings.HasPrefix(first, "seg_") && strings.HasSuffix(first, ".m4s"):
		rp.template, rp.startNum = "seg_$Number%06d$.m4s", r.sequence
		if first != fmt.Sprintf("seg_%06d.m4s", r.sequence) {
			return nil, fmt.Errorf("rendition %s: segment %s is not numbered by its media sequence %d", r.name, first, r.sequence)
		}
	default:
		return nil, fmt.Errorf("rendition %s: segment names such as %s cannot be templated", r.name, first)
	}
	for i, seg := range r.segments {
		if seg.init != initName {
			continue // an earlier configuration's: the timeline starts after it
		}
		t0, d, err := s.timing(r.id+"/"+seg.name, raw, func() ([]byte, error) { return r.read(seg.name) }, rp.t.ID)
		if err != nil {
			return nil, err
		}
		if len(rp.timeline) == 0 {
			rp.startNum += i
			if !seg.pdt.IsZero() {
				rp.startTime = seg.pdt.Add(-time.Duration(float64(t0) / float64(rp.t.Timescale) * float64(time.Second)))
			}
		}
		rp.timeline = append(rp.timeline, span{t: t0, d: d})
	}
	return rp, nil
}

// writeProtection writes an adaptation set's ContentProtection elements:
// the common one with the key id, ClearKey's with onair's license
// endpoint when onair holds the key, and Widevine's and PlayReady's with
// the license URLs the profile gives.
func writeProtection(b *strings.Builder, sch scheme, k cmafx.Key, e domain.DRMEntry, license string) {
	fmt.Fprintf(b, `<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="%s" cenc:default_KID="%s"/>`+"\n", sch, uuidOf(k.KID))
	fmt.Fprintf(b, `<ContentProtection schemeIdUri="urn:uuid:%s" value="ClearKey1.0">`, systemClearKey)
	if license != "" {
		fmt.Fprintf(b, `<dashif:laurl>%s</dashif:laurl>`, html.EscapeString(license))
	}
	b.WriteString("</ContentProtection>\n")
	if e.WidevineLAURL != "" {
		fmt.Fprintf(b, `<ContentProtection schemeIdUri="urn:uuid:%s" value="Widevine"><dashif:laurl>%s</dashif:laurl></ContentProtection>`+"\n",
			systemWidevine, html.EscapeString(e.WidevineLAURL))
	}
	if e.PlayReadyLAURL != "" {
		fmt.Fprintf(b, `<ContentProtection schemeIdUri="urn:uuid:%s" value="MSPR 2.0"><dashif:laurl>%s</dashif:laurl></ContentProtection>`+"\n",
			systemPlayReady, html.EscapeString(e.PlayReadyLAURL))
	}
}

// uuidOf writes a key id as a UUID.
func uuidOf(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// isoDur writes a duration as xs:duration, in seconds.
func isoDur(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}
