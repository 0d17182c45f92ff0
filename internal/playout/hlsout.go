package playout

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"onair/internal/domain"
)

// The HLS of a manifest: a multivariant playlist of the renditions the
// profile keeps, each a video track with the audio in its own rendition
// group (CMAF), or the MPEG-TS variants as they are.

const audioGroup = "audio"

func (s *Service) master(v *view, rends []*rendition) ([]byte, error) {
	if len(rends) == 0 {
		return nil, errNotServed
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	if rends[0].ts {
		for _, r := range rends {
			streamInf(&b, r, r.info.Codecs, "")
			fmt.Fprintf(&b, "ts/%s/index.m3u8\n", r.name)
		}
		return []byte(b.String()), nil
	}
	pre := prefix(v.config, formatHLS)
	if pre == string(schemeNone) {
		return nil, errNotServed
	}
	audioCodec, audio := keptAudio(v.config, rends)
	group := ""
	if audio {
		group = audioGroup
		fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=%q,NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"%s/audio/%s.m3u8\"\n",
			audioGroup, pre, rends[0].name)
	}
	for _, r := range rends {
		codecs := codecOf(r.info.Codecs, domain.TrackVideo)
		if audio {
			codecs += "," + audioCodec
		}
		streamInf(&b, r, codecs, group)
		fmt.Fprintf(&b, "%s/video/%s.m3u8\n", pre, r.name)
	}
	return []byte(b.String()), nil
}

// keptAudio is the codec of the audio a manifest lists, and whether it
// lists any: the best rendition's, which every one carries the same, if the
// profile's tracks keep it.
func keptAudio(c domain.PlayoutConfig, rends []*rendition) (string, bool) {
	if len(rends) == 0 {
		return "", false
	}
	codec := codecOf(rends[0].info.Codecs, domain.TrackAudio)
	return codec, codec != "" && c.Keeps(domain.PlayoutTrack{Kind: domain.TrackAudio, Codec: codec})
}

func streamInf(b *strings.Builder, r *rendition, codecs, audio string) {
	in := r.info
	bw := in.Bandwidth
	if bw <= 0 {
		bw = in.AverageBandwidth
	}
	fmt.Fprintf(b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", max(bw, 1))
	if in.AverageBandwidth > 0 {
		fmt.Fprintf(b, ",AVERAGE-BANDWIDTH=%d", in.AverageBandwidth)
	}
	if codecs != "" {
		fmt.Fprintf(b, ",CODECS=%q", strings.Trim(codecs, ","))
	}
	if in.Width > 0 && in.Height > 0 {
		fmt.Fprintf(b, ",RESOLUTION=%dx%d", in.Width, in.Height)
	}
	if in.FrameRate > 0 {
		fmt.Fprintf(b, ",FRAME-RATE=%.3f", in.FrameRate)
	}
	if audio != "" {
		fmt.Fprintf(b, ",AUDIO=%q", audio)
	}
	b.WriteString("\n")
}

// mediaPlaylist is a track's media playlist, its segments relative to it.
func (s *Service) mediaPlaylist(t *track) ([]byte, error) {
	r := t.rend.listed()
	if len(r.segments) == 0 {
		return nil, errNotServed
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n", max(r.target, 1), r.sequence)
	if r.discSeq > 0 {
		fmt.Fprintf(&b, "#EXT-X-DISCONTINUITY-SEQUENCE:%d\n", r.discSeq)
	}
	if r.vod {
		b.WriteString("#EXT-X-PLAYLIST-TYPE:VOD\n")
	}
	if line := keyLine(t); line != "" {
		b.WriteString(line + "\n")
	}
	init := ""
	for i, seg := range r.segments {
		if seg.disc && i > 0 {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if seg.init != init {
			fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"%s/%s\"\n", r.name, seg.init)
			init = seg.init
		}
		if !seg.pdt.IsZero() {
			fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", seg.pdt.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		}
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s/%s\n", seg.dur.Seconds(), r.name, seg.name)
	}
	if r.ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return []byte(b.String()), nil
}

// keyLine is the EXT-X-KEY of an encrypted track: FairPlay's with its key
// server in an skd:// URI, or CENC's for the ClearKey license endpoint.
func keyLine(t *track) string {
	if t.scheme == schemeClear {
		return ""
	}
	if t.entry.Name == domain.DRMFairPlay {
		return fmt.Sprintf(`#EXT-X-KEY:METHOD=SAMPLE-AES,URI="%s",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"`, skdURI(t.entry.LAURL))
	}
	method := "SAMPLE-AES"
	if t.scheme == domain.SchemeCENC {
		method = "SAMPLE-AES-CTR"
	}
	return fmt.Sprintf(`#EXT-X-KEY:METHOD=%s,URI="data:text/plain;charset=UTF-8,%s",KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1"`,
		method, uuidOf(t.key.KID))
}

// skdURI is a FairPlay key server's URL as the skd:// URI players hand to
// the app: its scheme replaced, the rest kept.
func skdURI(laurl string) string {
	if strings.HasPrefix(laurl, "skd://") {
		return laurl
	}
	if u, err := url.Parse(laurl); err == nil && u.Scheme != "" {
		return "skd://" + strings.TrimPrefix(laurl, u.Scheme+"://")
	}
	return "skd://" + laurl
}

// tsFile serves an MPEG-TS rendition's files as the packager wrote them.
func (s *Service) tsFile(v *view, rends []*rendition, name, file string) ([]byte, string, string, error) {
	for _, r := range rends {
		if r.name != name || !r.ts || file != path.Base(file) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, r.dir, file))
		if err != nil {
			return nil, "", "", err
		}
		switch path.Ext(file) {
		case ".m3u8":
			return b, typeM3U8, cacheLive, nil
		case ".ts":
			return b, "video/mp2t", cacheForever, nil
		}
	}
	return nil, "", "", errNotServed
}
