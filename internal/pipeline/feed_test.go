package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"onair/internal/flv"
)

// Synthetic tags: enough of FLV for the Feed to tell them apart.

func amf0String(s string) []byte {
	return append([]byte{0x02, byte(len(s) >> 8), byte(len(s))}, s...)
}

func metaData(width float64) []byte {
	b := amf0String("onMetaData")
	b = append(b, 0x08, 0, 0, 0, 3)
	for _, kv := range []struct {
		k string
		v float64
	}{{"width", width}, {"videocodecid", 7}, {"audiocodecid", 10}} {
		b = append(b, byte(len(kv.k)>>8), byte(len(kv.k)))
		b = append(b, kv.k...)
		b = append(b, 0x00)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(kv.v))
	}
	return append(b, 0, 0, 9)
}

func metaTag(ts uint32, width float64) flv.Tag {
	return flv.Tag{Type: flv.TagScript, Timestamp: ts, Data: append(amf0String("@setDataFrame"), metaData(width)...)}
}

func videoSeq(ts uint32, v byte) flv.Tag {
	return flv.Tag{Type: flv.TagVideo, Timestamp: ts, Data: []byte{0x17, 0x00, 0, 0, 0, 1, 0x64, 0, v}}
}

func audioSeq(ts uint32) flv.Tag {
	return flv.Tag{Type: flv.TagAudio, Timestamp: ts, Data: []byte{0xaf, 0x00, 0x12, 0x10}}
}

func keyframe(ts uint32) flv.Tag {
	return flv.Tag{Type: flv.TagVideo, Timestamp: ts, Data: []byte{0x17, 0x01, 0, 0, 0, 0xaa}}
}

func interframe(ts uint32) flv.Tag {
	return flv.Tag{Type: flv.TagVideo, Timestamp: ts, Data: []byte{0x27, 0x01, 0, 0, 0, 0xbb}}
}

func audio(ts uint32) flv.Tag {
	return flv.Tag{Type: flv.TagAudio, Timestamp: ts, Data: []byte{0xaf, 0x01, 0xcc}}
}

// session is what a publisher sends: metadata, sequence headers, then a second
// of 30 fps video with audio, a keyframe each half second.
func session() []flv.Tag {
	tags := []flv.Tag{metaTag(0, 1280), videoSeq(0, 1), audioSeq(0)}
	for ts := uint32(0); ts < 1000; ts += 33 {
		if ts%495 == 0 {
			tags = append(tags, keyframe(ts))
		} else {
			tags = append(tags, interframe(ts))
		}
		tags = append(tags, audio(ts+5))
	}
	return tags
}

func readFLV(t *testing.T, file string) (tags []flv.Tag, hasAudio, hasVideo bool) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := flv.NewReader(f)
	for {
		tag, err := r.ReadTag()
		if err == io.EOF {
			return tags, r.HasAudio, r.HasVideo
		}
		if err != nil {
			t.Fatalf("%s: tag %d: %v", file, len(tags), err)
		}
		tags = append(tags, tag)
	}
}

// perInstance returns Args that name the output of instance n out-n.flv.
func perInstance() func(bool) ([]string, error) {
	var mu sync.Mutex
	n := 0
	return func(bool) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return []string{fmt.Sprintf("out-%d.flv", n)}, nil
	}
}

func write(t *testing.T, f *Feed, tags ...flv.Tag) {
	t.Helper()
	for _, tag := range tags {
		if err := f.WriteTag(tag); err != nil {
			t.Fatalf("WriteTag(%d @%d): %v", tag.Type, tag.Timestamp, err)
		}
	}
}

// TestFeedFraming runs cat as the "ffmpeg", to see byte for byte what each
// instance reads: a clean start, rebased sessions, and a clean restart.
func TestFeedFraming(t *testing.T) {
	dir := t.TempDir()
	cat := script(t, dir, `exec cat > "$1"`)
	s := New(Config{FFmpeg: cat, Dir: dir, Args: perInstance(), Settle: 50 * time.Millisecond,
		Backoff: Backoff{Min: 10 * time.Millisecond}})
	f := NewFeed()
	f.Attach(s)
	if f.Received() {
		t.Error("Received before anything")
	}
	early := NewFeed()
	early.Attach(s)
	if err := early.WriteTag(keyframe(0)); err != ErrNotReady {
		t.Errorf("WriteTag before Start = %v, want ErrNotReady", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Begin()
	write(t, f, session()...)
	f.End()
	f.Begin()
	write(t, f, session()...) // timestamps from 0 again, the same metadata and sequence headers
	if !f.Received() {
		t.Error("Received false after media")
	}

	// Let cat take all of it from the pipe before it is killed: the header, then
	// each tag with its 11-byte header and 4-byte size, the second session's
	// metadata and sequence headers left out, @setDataFrame stripped.
	size := int64(13)
	for i, tag := range append(session(), session()[3:]...) {
		size += 15 + int64(len(tag.Data))
		if i == 0 {
			size -= int64(len(amf0String("@setDataFrame")))
		}
	}
	waitFor(t, 5*time.Second, "cat to write it all", func() bool {
		fi, err := os.Stat(filepath.Join(dir, "out-1.flv"))
		return err == nil && fi.Size() == size
	})
	syscall.Kill(s.PID(), syscall.SIGKILL)
	waitFor(t, 5*time.Second, "instance 2", func() bool { return s.Instance() == 2 })
	// The instance came up mid-GOP: it gets nothing until the next keyframe,
	// then the cached metadata and sequence headers first.
	write(t, f, videoSeq(1000, 2), interframe(1000), audio(1005), keyframe(1033), audio(1038), interframe(1066))
	if err := stop(t, s); err != nil {
		t.Fatalf("Stop = %v", err)
	}

	tags, hasAudio, hasVideo := readFLV(t, filepath.Join(dir, "out-1.flv"))
	if !hasAudio || !hasVideo {
		t.Errorf("out-1 header: audio %v, video %v", hasAudio, hasVideo)
	}
	one := session()
	if len(tags) != 2*len(one)-3 {
		t.Fatalf("out-1 has %d tags, want %d (two sessions, the second one's metadata and sequence headers not repeated)", len(tags), 2*len(one)-3)
	}
	if !bytes.Equal(tags[0].Data, metaData(1280)) {
		t.Errorf("out-1 starts with % x, want onMetaData without @setDataFrame", tags[0].Data[:16])
	}
	last := map[uint8]uint32{}
	for i, tag := range tags {
		if tag.Timestamp < last[tag.Type] {
			t.Errorf("out-1 tag %d (type %d) at %d ms goes back from %d", i, tag.Type, tag.Timestamp, last[tag.Type])
		}
		last[tag.Type] = tag.Timestamp
	}
	second := tags[len(one)]
	if !flv.IsKeyframe(second) || second.Timestamp != 990+5+frameGap {
		t.Errorf("the second session starts with %+v, want a keyframe at %d", second, 990+5+frameGap)
	}

	tags, hasAudio, hasVideo = readFLV(t, filepath.Join(dir, "out-2.flv"))
	if !hasAudio || !hasVideo {
		t.Errorf("out-2 header: audio %v, video %v", hasAudio, hasVideo)
	}
	// The second session was moved by 1028 ms: one frame after the first one's last tag (995 ms).
	const off = 1028
	want := []flv.Tag{
		{Type: flv.TagScript, Timestamp: 1033 + off, Data: metaData(1280)},
		videoSeq(1033+off, 2),
		audioSeq(1033 + off),
		keyframe(1033 + off),
		audio(1038 + off),
		interframe(1066 + off),
	}
	if len(tags) != len(want) {
		t.Fatalf("out-2 has %d tags, want %d", len(tags), len(want))
	}
	for i := range want {
		if tags[i].Type != want[i].Type || tags[i].Timestamp != want[i].Timestamp || !bytes.Equal(tags[i].Data, want[i].Data) {
			t.Errorf("out-2 tag %d = %d @%d % x, want %d @%d % x", i, tags[i].Type, tags[i].Timestamp, tags[i].Data, want[i].Type, want[i].Timestamp, want[i].Data)
		}
	}
}

// TestWriteTimeoutKillsAStalledFFmpeg: an ffmpeg that stops reading its input
// cannot block the ingest: the write fails, and the instance is replaced.
func TestWriteTimeoutKillsAStalledFFmpeg(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `exec sleep 30`)
	var ev events
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		Grace: 50 * time.Millisecond, OnEvent: ev.add, Backoff: Backoff{Min: 10 * time.Millisecond}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)
	start := time.Now()
	_, err := s.Write(make([]byte, 1<<20)) // more than a pipe holds
	if !errors.Is(err, ErrNotReady) || time.Since(start) > 2*time.Second {
		t.Fatalf("Write = %v after %s", err, time.Since(start))
	}
	waitFor(t, 5*time.Second, "the restart", func() bool { return s.Instance() == 2 })
	if got := ev.of(EventExited); len(got) != 1 || !strings.Contains(got[0].Cause, "read nothing of its input for 200ms") {
		t.Errorf("exited events = %+v", got)
	}
}

func TestSetDataFrameAndMetaKeys(t *testing.T) {
	m := metaTag(0, 1280)
	if got := stripSetDataFrame(m.Data); !bytes.Equal(got, metaData(1280)) {
		t.Errorf("stripSetDataFrame = % x", got)
	}
	if k := kindOf(flv.Tag{Type: flv.TagScript, Data: stripSetDataFrame(m.Data)}); k != kindMeta {
		t.Errorf("kind of onMetaData = %d", k)
	}
	if k := kindOf(flv.Tag{Type: flv.TagScript, Data: amf0String("onCuePoint")}); k != kindScript {
		t.Errorf("kind of onCuePoint = %d", k)
	}
	if !metaHas(metaData(1), "audiocodecid") || metaHas(metaData(1), "stereo") || metaHas(nil, "width") {
		t.Error("metaHas")
	}
	if _, n := amfString([]byte{0x02, 0x00, 0x09, 'a'}); n != 0 {
		t.Error("amfString read past a short buffer")
	}
}

// TestFeedHoldsUntilAttach: a publisher accepted before its pipeline is up
// loses nothing: what it sent reaches the first instance, in order, first.
func TestFeedHoldsUntilAttach(t *testing.T) {
	dir := t.TempDir()
	cat := script(t, dir, `exec cat > "$1"`)
	s := New(Config{FFmpeg: cat, Dir: dir, Args: perInstance(), Settle: 50 * time.Millisecond})
	f := NewFeed()
	f.Begin()
	held := session()
	write(t, f, held...) // no supervisor yet: held
	if !f.Received() {
		t.Error("Received false after held media")
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Attach(s)
	write(t, f, interframe(1023), audio(1028))
	size := int64(13)
	for i, tag := range append(held, interframe(1023), audio(1028)) {
		size += 15 + int64(len(tag.Data))
		if i == 0 {
			size -= int64(len(amf0String("@setDataFrame")))
		}
	}
	waitFor(t, 5*time.Second, "cat to write it all", func() bool {
		fi, err := os.Stat(filepath.Join(dir, "out-1.flv"))
		return err == nil && fi.Size() == size
	})
	if err := stop(t, s); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	tags, _, _ := readFLV(t, filepath.Join(dir, "out-1.flv"))
	if len(tags) != len(held)+2 {
		t.Fatalf("out-1 has %d tags, want the %d held and the 2 after", len(tags), len(held)+2)
	}
	if first := tags[3]; !flv.IsKeyframe(first) || first.Timestamp != 0 {
		t.Errorf("the first frame is %+v, want the held keyframe at 0", first)
	}
	if last := tags[len(tags)-2]; last.Timestamp != 1023 {
		t.Errorf("the frame after the held ones is at %d ms, want 1023", last.Timestamp)
	}
}

// TestFeedHoldIsBounded: a pipeline that takes long to come up costs at most
// maxHold bytes; the oldest GOPs go, and what is held still starts at a keyframe.
func TestFeedHoldIsBounded(t *testing.T) {
	f := NewFeed()
	f.Begin()
	frame := make([]byte, 1<<20)
	for i := range 100 { // 100 MiB, a keyframe every tenth frame
		tag := flv.Tag{Type: flv.TagVideo, Timestamp: uint32(i * 33), Data: append([]byte{0x27, 0x01, 0, 0, 0}, frame...)}
		if i%10 == 0 {
			tag.Data[0] = 0x17
		}
		if err := f.WriteTag(tag); err != nil {
			t.Fatal(err)
		}
	}
	if f.heldBytes > maxHold {
		t.Errorf("holding %d bytes, more than %d", f.heldBytes, maxHold)
	}
	if !flv.IsKeyframe(f.held[0].tag) || f.held[len(f.held)-1].tag.Timestamp != 99*33 {
		t.Errorf("held from %+v to %d ms, want a keyframe first and the latest frame last", f.held[0].tag.Timestamp, f.held[len(f.held)-1].tag.Timestamp)
	}
}
