package flv

import (
	"bytes"
	"errors"
	"io"
	"onair/internal/testutil/fftest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tags := []Tag{
		{Type: TagScript, Timestamp: 0, Data: []byte{2, 0, 10, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'}},
		{Type: TagVideo, Timestamp: 0, Data: []byte{0x17, 0, 0, 0, 0, 1, 2, 3}},
		{Type: TagAudio, Timestamp: 0, Data: []byte{0xaf, 0, 0x12, 0x10}},
		{Type: TagVideo, Timestamp: 0x00ffffff, Data: []byte{0x27, 1}},
		{Type: TagAudio, Timestamp: 0x01000000, Data: []byte{0xaf, 1}}, // needs the extended byte
		{Type: TagVideo, Timestamp: 0xfedcba98, Data: bytes.Repeat([]byte{0x17}, 200000)},
		{Type: TagAudio, Timestamp: 7, Data: []byte{}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, true, true)
	for _, tag := range tags {
		if err := w.WriteTag(tag); err != nil {
			t.Fatal(err)
		}
	}
	if got := buf.Bytes()[:13]; !bytes.Equal(got, []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0}) {
		t.Fatalf("header = % x", got)
	}
	r := NewReader(&buf)
	for i, want := range tags {
		got, err := r.ReadTag()
		if err != nil {
			t.Fatalf("tag %d: %v", i, err)
		}
		if got.Type != want.Type || got.Timestamp != want.Timestamp || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("tag %d = {%d %#x %d bytes}, want {%d %#x %d bytes}", i,
				got.Type, got.Timestamp, len(got.Data), want.Type, want.Timestamp, len(want.Data))
		}
	}
	if !r.HasAudio || !r.HasVideo {
		t.Errorf("flags audio=%v video=%v", r.HasAudio, r.HasVideo)
	}
	if _, err := r.ReadTag(); err != io.EOF {
		t.Fatalf("after the last tag: %v, want io.EOF", err)
	}
}

func TestWriterFlagsAndLimits(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, false, true).WriteTag(Tag{Type: TagVideo}); err != nil {
		t.Fatal(err)
	}
	if buf.Bytes()[4] != 1 {
		t.Errorf("video-only flags = %#x", buf.Bytes()[4])
	}
	if err := NewWriter(io.Discard, true, true).WriteTag(Tag{Type: TagVideo, Data: make([]byte, MaxDataSize+1)}); err == nil {
		t.Error("oversized tag accepted")
	}
}

func TestReaderErrors(t *testing.T) {
	valid := func() []byte {
		var b bytes.Buffer
		NewWriter(&b, true, false).WriteTag(Tag{Type: TagAudio, Timestamp: 1, Data: []byte{0xaf, 1, 2, 3}})
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNotFLV},
		{"not flv", []byte("GIF89a..........."), ErrNotFLV},
		{"header only", valid[:13], io.EOF},
		{"cut in tag header", valid[:18], io.ErrUnexpectedEOF},
		{"cut in data", valid[:26], io.ErrUnexpectedEOF},
		{"cut in prev size", valid[:len(valid)-2], io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.in)).ReadTag()
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A size field promising 16 MiB over a 30-byte stream must fail without allocating it.
	huge := append(append([]byte{}, valid[:13]...), 9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 2)
	allocs := testing.AllocsPerRun(10, func() { NewReader(bytes.NewReader(huge)).ReadTag() })
	if allocs > 20 {
		t.Errorf("allocs = %v", allocs)
	}
}

func TestInspect(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tag         Tag
		key, seqHdr bool
	}{
		{"avc seq header", Tag{Type: TagVideo, Data: []byte{0x17, 0, 0, 0, 0}}, true, true},
		{"avc keyframe", Tag{Type: TagVideo, Data: []byte{0x17, 1, 0, 0, 0}}, true, false},
		{"avc inter", Tag{Type: TagVideo, Data: []byte{0x27, 1, 0, 0, 0}}, false, false},
		{"aac seq header", Tag{Type: TagAudio, Data: []byte{0xaf, 0, 0x12, 0x10}}, false, true},
		{"aac raw", Tag{Type: TagAudio, Data: []byte{0xaf, 1, 0x21}}, false, false},
		{"mp3", Tag{Type: TagAudio, Data: []byte{0x2f, 0}}, false, false},
		{"hevc sequence start (enhanced)", Tag{Type: TagVideo, Data: []byte{0x90, 'h', 'v', 'c', '1'}}, true, true},
		{"hevc coded frames (enhanced)", Tag{Type: TagVideo, Data: []byte{0xa1, 'h', 'v', 'c', '1'}}, false, false},
		{"script", Tag{Type: TagScript, Data: []byte{0x17, 0}}, false, false},
		{"empty video", Tag{Type: TagVideo}, false, false},
	} {
		if got := IsKeyframe(tc.tag); got != tc.key {
			t.Errorf("%s: IsKeyframe = %v", tc.name, got)
		}
		if got := IsSequenceHeader(tc.tag); got != tc.seqHdr {
			t.Errorf("%s: IsSequenceHeader = %v", tc.name, got)
		}
	}
}

// TestFFmpegFileThroughReaderWriter copies a real ffmpeg FLV file tag by tag and
// checks that ffprobe reads the copy as it read the original.
func TestFFmpegFileThroughReaderWriter(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.flv"), filepath.Join(dir, "dst.flv")
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine",
		"-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac", "-f", "flv", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var copyBuf bytes.Buffer
	r := NewReader(in)
	var w *Writer
	var n, keys, seqHdrs int
	for {
		tag, err := r.ReadTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("tag %d: %v", n, err)
		}
		if w == nil {
			w = NewWriter(&copyBuf, r.HasAudio, r.HasVideo)
		}
		if err := w.WriteTag(tag); err != nil {
			t.Fatal(err)
		}
		n++
		if IsKeyframe(tag) {
			keys++
		}
		if IsSequenceHeader(tag) {
			seqHdrs++
		}
	}
	if keys < 2 || seqHdrs != 2 {
		t.Errorf("%d tags, %d keyframes, %d sequence headers", n, keys, seqHdrs)
	}
	if err := os.WriteFile(dst, copyBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, got := fftest.Duration(t, src), fftest.Duration(t, dst)
	if got < 1.8 || got > 2.3 || got != want {
		t.Errorf("duration of the copy = %v, original %v", got, want)
	}
}
