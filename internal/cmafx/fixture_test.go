package cmafx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// source is fragmented MP4 made by a real packager: an init section with
// video (track 1) and audio (track 2), and media segments.
type source struct {
	name   string
	init   []byte
	segs   [][]byte
	codecs string // the CODECS the packager's own playlists give
}

// fixtures caches the sources made in one run: the machine's cores are
// shared.
var fixtures struct {
	sync.Mutex
	dir  string
	made map[string]*source
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cmafx-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtures.dir, fixtures.made = dir, map[string]*source{}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cached returns the source called name, made once by build.
func cached(t *testing.T, name string, build func(t *testing.T, dir string) *source) *source {
	t.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if s, ok := fixtures.made[name]; ok {
		return s
	}
	dir := filepath.Join(fixtures.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := build(t, dir)
	s.name = name
	fixtures.made[name] = s
	return s
}

// ffmpegSource is 4 s of 320x180 H.264 at 25 fps (B-frames, a keyframe each
// second) and 48 kHz AAC, through ffmpeg's HLS muxer in fMP4: one init.mp4
// and 1 s segments, both tracks in each.
func ffmpegSource(t *testing.T) *source {
	return cached(t, "ffmpeg", func(t *testing.T, dir string) *source {
		ffmpeg, _ := fftest.Tools(t)
		run(t, ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
			"-t", "4", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "2",
			"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
			"-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
			"-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", filepath.Join(dir, "seg_%03d.m4s"),
			"-master_pl_name", "master.m3u8", filepath.Join(dir, "index.m3u8"))
		s := &source{init: read(t, filepath.Join(dir, "init.mp4"))}
		for _, l := range strings.Split(string(read(t, filepath.Join(dir, "index.m3u8"))), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				s.segs = append(s.segs, read(t, filepath.Join(dir, l)))
			}
		}
		m := regexp.MustCompile(`CODECS="([^"]+)"`).FindSubmatch(read(t, filepath.Join(dir, "master.m3u8")))
		if m == nil {
			t.Fatal("ffmpeg's master playlist has no CODECS")
		}
		s.codecs = string(m[1])
		return s
	})
}

// onairSource is onair's own CMAF output: 6 s of 320x180 at 15 fps (a
// keyframe each second) with 48 kHz AAC, read from MPEG-TS as ingest would
// and packaged by an hls.Variant with 2 s segments of 500 ms LL-HLS parts,
// so that each segment holds several fragments. vcodec is libx264 or
// libx265.
func onairSource(t *testing.T, vcodec string) *source {
	return cached(t, "onair-"+vcodec, func(t *testing.T, dir string) *source {
		ffmpeg, _ := fftest.Tools(t)
		ts := filepath.Join(dir, "source.ts")
		hlstest.Encode(t, ffmpeg, ts, 6, 15, vcodec)
		tracks, units := hlstest.ReadTS(t, ts)
		return packageCMAF(t, filepath.Join(dir, "hls"), tracks, units)
	})
}

// packageCMAF runs units through an hls.Variant writing CMAF and returns
// what it wrote.
func packageCMAF(t *testing.T, dir string, tracks media.Tracks, units []*media.Unit) *source {
	t.Helper()
	v, err := hls.OpenVariant(hls.VariantConfig{Dir: dir, Format: hls.CMAF, Segment: 2 * time.Second, Window: time.Hour,
		Part: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hub := media.NewHub(media.HubOptions{})
	r := hub.Subscribe("cmafx-test", 1<<20)
	done := make(chan error, 1)
	go func() { done <- v.Run(context.Background(), r) }()
	hub.Begin(tracks)
	for _, u := range units {
		hub.Write(u)
	}
	hub.Close()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := v.Finish(); err != nil {
		t.Fatal(err)
	}
	// The playlist's EXT-X-MAP and segment lines; hls's own tests check the
	// rest of it.
	s := &source{codecs: v.Info().Codecs}
	for _, l := range strings.Split(string(read(t, filepath.Join(dir, hls.Playlist))), "\n") {
		switch {
		case strings.HasPrefix(l, "#EXT-X-MAP:URI="):
			s.init = read(t, filepath.Join(dir, strings.Trim(strings.TrimPrefix(l, "#EXT-X-MAP:URI="), `"`)))
		case l != "" && !strings.HasPrefix(l, "#"):
			s.segs = append(s.segs, read(t, filepath.Join(dir, l)))
		}
	}
	if s.init == nil || len(s.segs) < 3 {
		t.Fatalf("the variant wrote an init section: %t, and %d segments", s.init != nil, len(s.segs))
	}
	return s
}

func read(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// file writes an init section and segments into one file, as a player
// reads them.
func file(t testing.TB, name string, init []byte, segs ...[]byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, bytes.Join(append([][]byte{init}, segs...), nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// stream is what ffprobe reads of a stream, its frames counted.
type stream struct {
	Type   string `json:"codec_type"`
	Codec  string `json:"codec_name"`
	Frames string `json:"nb_read_frames"`
}

func probe(t testing.TB, file string) []stream {
	t.Helper()
	_, ffprobe := fftest.Tools(t)
	out := run(t, ffprobe, "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames", "-of", "json", file)
	var v struct{ Streams []stream }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	return v.Streams
}

// md5Options say how frameMD5 reads a file.
type md5Options struct {
	key     string // hex, for -decryption_key
	packets bool   // hash the packets as demuxed (-c copy), not decoded frames
	mayFail bool   // an error gives nil, not a failure
}

// frameMD5 has ffmpeg decode one stream of a file (spec: "v", "a") and
// returns the md5 of each decoded frame (or packet) with its timestamps.
func frameMD5(t testing.TB, file, spec string, o md5Options) []string {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	args := []string{"-hide_banner", "-v", "error", "-xerror"}
	if o.key != "" {
		args = append(args, "-decryption_key", o.key)
	}
	// -copyts: timestamps as the file has them, not moved by the start of
	// other streams.
	args = append(args, "-i", file, "-map", "0:"+spec+":0", "-copyts")
	if o.packets {
		args = append(args, "-c", "copy", "-copyinkf") // from the first packet, keyframe or not
	}
	args = append(args, "-f", "framemd5", "-")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil && stderr.Len() > 0 && !o.packets {
		// Copying packets, ffmpeg still decodes a few to probe the stream,
		// which fails on a fragment that does not start with a keyframe.
		err = fmt.Errorf("errors: %s", stderr.Bytes())
	}
	if err != nil {
		if o.mayFail {
			return nil
		}
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var frames []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			// Side data (S=…) left out: the key ids ffmpeg passes on.
			l, _, _ = strings.Cut(l, ", S=")
			frames = append(frames, l)
		}
	}
	return frames
}

// fragments cuts a segment into its fragments, each with the styp if the
// segment has one: files of their own with an init section.
func fragments(t testing.TB, seg []byte) [][]byte {
	t.Helper()
	var out [][]byte
	var styp, moof []byte
	for b := seg; len(b) > 0; {
		n := int(binary.BigEndian.Uint32(b))
		if n < 8 || n > len(b) {
			t.Fatalf("a box of %d bytes with %d left", n, len(b))
		}
		switch string(b[4:8]) {
		case "styp":
			styp = b[:n]
		case "moof":
			moof = b[:n]
		case "mdat":
			out = append(out, bytes.Join([][]byte{styp, moof, b[:n]}, nil))
		}
		b = b[n:]
	}
	return out
}
