package clip

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// ffmpegEvent is an archive playlist as ffmpeg's hls muxer writes it during a
// session that restarted once (append_list+discont_start), not yet ended; with
// program_date_time, ffmpeg puts that tag between the EXTINF and the URI.
const ffmpegEvent = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXTINF:2.000000,
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000+0000
seg_000000.ts
#EXTINF:2.500000,
seg_000001.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:09.000+0000
#EXTINF:1.960000,
seg_000002.ts
`

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []Segment
		ended bool
		err   string // a substring of the error, "" for none
	}{
		{name: "ffmpeg event playlist", in: ffmpegEvent, want: []Segment{
			{URI: "seg_000000.ts", Start: 0, Duration: 2},
			{URI: "seg_000001.ts", Start: 2, Duration: 2.5},
			{URI: "seg_000002.ts", Start: 4.5, Duration: 1.96, Discontinuity: true},
		}},
		{name: "ended, CRLF, BOM, blank lines, title", in: "\xef\xbb\xbf#EXTM3U\r\n\r\n#EXTINF:4,first\r\nindex0.ts\r\n#EXTINF:1.5,\r\nsub/index1.ts\r\n#EXT-X-ENDLIST\r\n",
			want: []Segment{{URI: "index0.ts", Duration: 4}, {URI: "sub/index1.ts", Start: 4, Duration: 1.5}}, ended: true},
		{name: "no segments yet", in: "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n", want: nil},
		{name: "ended with no segments", in: "#EXTM3U\n#EXT-X-ENDLIST\n", want: nil, ended: true},
		{name: "zero duration", in: "#EXTM3U\n#EXTINF:0.000000,\na.ts\n", want: []Segment{{URI: "a.ts"}}},
		{name: "media sequence is not a master tag", in: "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1,\na.ts\n", want: []Segment{{URI: "a.ts", Duration: 1}}},

		{name: "empty", in: "", err: "empty"},
		{name: "no header", in: "#EXTINF:2,\na.ts\n", err: "want #EXTM3U"},
		{name: "master", in: "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv0/index.m3u8\n", err: "master playlist"},
		{name: "master media tag", in: "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\"\n", err: "master playlist"},
		{name: "negative duration", in: "#EXTM3U\n#EXTINF:-2,\na.ts\n", err: "not a decimal"},
		{name: "no duration", in: "#EXTM3U\n#EXTINF:,\na.ts\n", err: "not a decimal"},
		{name: "inf", in: "#EXTM3U\n#EXTINF:Inf,\na.ts\n", err: "not a decimal"},
		{name: "exponent", in: "#EXTM3U\n#EXTINF:1e9,\na.ts\n", err: "not a decimal"},
		{name: "hex float", in: "#EXTM3U\n#EXTINF:0x1p4,\na.ts\n", err: "not a decimal"},
		{name: "two dots", in: "#EXTM3U\n#EXTINF:1.2.3,\na.ts\n", err: "not a decimal"},
		{name: "absurd duration", in: "#EXTM3U\n#EXTINF:86400,\na.ts\n", err: "longer than 3600"},
		{name: "uri without extinf", in: "#EXTM3U\na.ts\n", err: "without an EXTINF"},
		{name: "two extinf", in: "#EXTM3U\n#EXTINF:2,\n#EXTINF:2,\na.ts\n", err: "without a segment URI"},
		{name: "extinf at the end", in: "#EXTM3U\n#EXTINF:2,\na.ts\n#EXTINF:2,\n", err: "without its segment URI"},
		{name: "segment after endlist", in: "#EXTM3U\n#EXT-X-ENDLIST\n#EXTINF:2,\na.ts\n", err: "after #EXT-X-ENDLIST"},
		{name: "absolute uri", in: "#EXTM3U\n#EXTINF:2,\n/etc/passwd\n", err: "relative path"},
		{name: "url", in: "#EXTM3U\n#EXTINF:2,\nhttp://example.com/a.ts\n", err: "relative path"},
		{name: "escaping uri", in: "#EXTM3U\n#EXTINF:2,\n../other/a.ts\n", err: "inside the archive"},
		{name: "query", in: "#EXTM3U\n#EXTINF:2,\na.ts?x=1\n", err: "relative path"},
		{name: "control character", in: "#EXTM3U\n#EXTINF:2,\na\x00.ts\n", err: "relative path"},
		{name: "long uri", in: "#EXTM3U\n#EXTINF:2,\n" + strings.Repeat("a", MaxURIBytes+1) + "\n", err: "longer than"},
		{name: "byterange", in: "#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\na.ts\n", err: "EXT-X-BYTERANGE is not supported"},
		{name: "key", in: "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:2,\na.ts\n", err: "EXT-X-KEY is not supported"},
		{name: "fmp4", in: "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\na.m4s\n", err: "EXT-X-MAP is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, ended, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one with %q", err, tt.err)
				}
				if segs != nil || ended {
					t.Fatalf("refused playlist returned %v, %v", segs, ended)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(segs, tt.want) || ended != tt.ended {
				t.Fatalf("got %+v ended %v\nwant %+v ended %v", segs, ended, tt.want, tt.ended)
			}
		})
	}
}

func TestParseMasterIsErrMasterPlaylist(t *testing.T) {
	_, _, err := Parse([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na/index.m3u8\n"))
	if !errors.Is(err, ErrMasterPlaylist) {
		t.Fatalf("err = %v, want ErrMasterPlaylist", err)
	}
}

func TestParseBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	for range MaxSegments + 1 {
		b.WriteString("#EXTINF:1,\na\n")
	}
	_, _, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 segments") {
		t.Fatalf("err = %v, want too many segments", err)
	}
	big := make([]byte, MaxPlaylistBytes+1)
	if _, _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want too large", err)
	}
}
