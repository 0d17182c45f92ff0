package rtmp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func reader(b []byte) *chunkReader {
	return newChunkReader(bufio.NewReader(bytes.NewReader(b)), 64<<10, 8<<20, 64)
}

// readAll returns every message in b and the error that ended the stream.
func readAll(cr *chunkReader) ([]message, error) {
	var ms []message
	for {
		m, err := cr.readMessage()
		if err != nil {
			return ms, err
		}
		ms = append(ms, m)
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestChunkHeaderTypes(t *testing.T) {
	in := cat(
		// type 0, csid 4: timestamp 1000, 3 bytes, audio, stream 1 (little-endian)
		[]byte{0x04, 0x00, 0x03, 0xe8, 0, 0, 3, 8, 1, 0, 0, 0}, []byte("abc"),
		// type 1: delta 33, 2 bytes, video
		[]byte{0x44, 0, 0, 33, 0, 0, 2, 9}, []byte("de"),
		// type 2: delta 40, same length and type
		[]byte{0x84, 0, 0, 40}, []byte("fg"),
		// type 3 starting a new message: the last delta again
		[]byte{0xc4}, []byte("hi"),
		// type 0 on csid 5 at 500, then type 3: a type 3 after a type 0 reuses its timestamp as delta
		[]byte{0x05, 0, 0x01, 0xf4, 0, 0, 1, 8, 1, 0, 0, 0}, []byte("j"),
		[]byte{0xc5}, []byte("k"),
	)
	ms, err := readAll(reader(in))
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	want := []message{
		{Type: 8, StreamID: 1, Timestamp: 1000, Data: []byte("abc")},
		{Type: 9, StreamID: 1, Timestamp: 1033, Data: []byte("de")},
		{Type: 9, StreamID: 1, Timestamp: 1073, Data: []byte("fg")},
		{Type: 9, StreamID: 1, Timestamp: 1113, Data: []byte("hi")},
		{Type: 8, StreamID: 1, Timestamp: 500, Data: []byte("j")},
		{Type: 8, StreamID: 1, Timestamp: 1000, Data: []byte("k")},
	}
	checkMessages(t, ms, want)
}

func checkMessages(t *testing.T, got, want []message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Type != w.Type || g.StreamID != w.StreamID || g.Timestamp != w.Timestamp || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("message %d = {type %d stream %d ts %d %q}, want {type %d stream %d ts %d %q}", i,
				g.Type, g.StreamID, g.Timestamp, g.Data, w.Type, w.StreamID, w.Timestamp, w.Data)
		}
	}
}

func TestChunkBasicHeaderForms(t *testing.T) {
	payload := []byte{1}
	in := cat(
		[]byte{0x00, 0}, []byte{0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0}, payload, // 2-byte form: csid 64
		[]byte{0x00, 255}, []byte{0, 0, 1, 0, 0, 1, 8, 0, 0, 0, 0}, payload, // csid 319
		[]byte{0x01, 0, 1}, []byte{0, 0, 2, 0, 0, 1, 8, 0, 0, 0, 0}, payload, // 3-byte form: csid 320
		[]byte{0xc1, 0, 1}, payload, // type 3 on csid 320
	)
	ms, err := readAll(reader(in))
	if err != io.EOF || len(ms) != 4 || ms[3].Timestamp != 4 {
		t.Fatalf("%d messages (%+v), %v", len(ms), ms, err)
	}
	for _, csid := range []uint32{64, 319, 320} {
		if reader(nil).streams[csid] != nil {
			t.Fatal("fresh reader has streams")
		}
	}
	cr := reader(in)
	readAll(cr)
	for _, csid := range []uint32{64, 319, 320} {
		if cr.streams[csid] == nil {
			t.Errorf("no chunk stream %d", csid)
		}
	}
}

func TestChunkContinuationAndInterleaving(t *testing.T) {
	video := bytes.Repeat([]byte("v"), 300) // 128 + 128 + 44 at the default chunk size
	in := cat(
		[]byte{0x06, 0, 0, 10, 0, 0x01, 0x2c, 9, 1, 0, 0, 0}, video[:128],
		[]byte{0x04, 0, 0, 12, 0, 0, 2, 8, 1, 0, 0, 0}, []byte("a1"), // a whole audio message in between
		[]byte{0xc6}, video[128:256],
		[]byte{0x84, 0, 0, 20}, []byte("a2"),
		[]byte{0xc6}, video[256:],
	)
	ms, err := readAll(reader(in))
	if err != io.EOF {
		t.Fatal(err)
	}
	checkMessages(t, ms, []message{
		{Type: 8, StreamID: 1, Timestamp: 12, Data: []byte("a1")},
		{Type: 8, StreamID: 1, Timestamp: 32, Data: []byte("a2")},
		{Type: 9, StreamID: 1, Timestamp: 10, Data: video},
	})
}

func TestChunkExtendedTimestamps(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 200)
	in := cat(
		// type 0 at 0x01020304: the field is 0xffffff and the time follows; the type 3
		// continuation repeats the extended timestamp.
		[]byte{0x06, 0xff, 0xff, 0xff, 0, 0, 200, 9, 1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04}, big[:128],
		[]byte{0xc6, 0x01, 0x02, 0x03, 0x04}, big[128:],
		// type 1 with an extended delta of 0x01000000
		[]byte{0x46, 0xff, 0xff, 0xff, 0, 0, 1, 9, 0x01, 0, 0, 0}, []byte("y"),
		// type 3 new message: same extended delta, carried again
		[]byte{0xc6, 0x01, 0, 0, 0}, []byte("z"),
		// type 2 with a small delta: no extended field from here on
		[]byte{0x86, 0, 0, 5}, []byte("w"),
		[]byte{0xc6}, []byte("u"),
	)
	// The same stream from a sender that leaves the extended timestamp out of type 3 chunks.
	without := cat(
		[]byte{0x06, 0xff, 0xff, 0xff, 0, 0, 200, 9, 1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04}, big[:128],
		[]byte{0xc6}, big[128:],
		[]byte{0x46, 0xff, 0xff, 0xff, 0, 0, 1, 9, 0x01, 0, 0, 0}, []byte("y"),
		[]byte{0xc6}, []byte("z"),
		[]byte{0x86, 0, 0, 5}, []byte("w"),
		[]byte{0xc6}, []byte("u"),
	)
	for _, stream := range [][]byte{in, without} {
		ms, err := readAll(reader(stream))
		if err != io.EOF {
			t.Fatal(err)
		}
		checkMessages(t, ms, wantExt)
	}
}

var wantExt = []message{
	{Type: 9, StreamID: 1, Timestamp: 0x01020304, Data: bytes.Repeat([]byte("x"), 200)},
	{Type: 9, StreamID: 1, Timestamp: 0x02020304, Data: []byte("y")},
	{Type: 9, StreamID: 1, Timestamp: 0x03020304, Data: []byte("z")},
	{Type: 9, StreamID: 1, Timestamp: 0x03020309, Data: []byte("w")},
	{Type: 9, StreamID: 1, Timestamp: 0x0302030e, Data: []byte("u")},
}

func TestChunkSizeChangeAndAbort(t *testing.T) {
	msg := bytes.Repeat([]byte("m"), 300)
	in := cat(
		[]byte{0x02, 0, 0, 0, 0, 0, 4, msgSetChunkSize, 0, 0, 0, 0, 0, 0, 0x01, 0x00}, // 256
		[]byte{0x06, 0, 0, 0, 0, 0x01, 0x2c, 9, 1, 0, 0, 0}, msg[:256],
		[]byte{0xc6}, msg[256:],
		// Start a message on csid 7, abort it, then send a new one there.
		[]byte{0x07, 0, 0, 0, 0, 0x01, 0x2c, 9, 1, 0, 0, 0}, msg[:256],
		[]byte{0x02, 0, 0, 0, 0, 0, 4, msgAbort, 0, 0, 0, 0, 0, 0, 0, 7},
		[]byte{0x47, 0, 0, 1, 0, 0, 2, 8}, []byte("ok"),
	)
	cr := reader(in)
	ms, err := readAll(cr)
	if err != io.EOF {
		t.Fatal(err)
	}
	checkMessages(t, ms, []message{
		{Type: msgSetChunkSize, Data: []byte{0, 0, 1, 0}},
		{Type: 9, StreamID: 1, Data: msg},
		{Type: msgAbort, Data: []byte{0, 0, 0, 7}},
		{Type: 8, StreamID: 1, Timestamp: 1, Data: []byte("ok")},
	})
	if cr.chunkSize != 256 || cr.pending != 0 {
		t.Errorf("chunk size %d, %d bytes pending", cr.chunkSize, cr.pending)
	}
}

func TestChunkErrors(t *testing.T) {
	hdr0 := []byte{0x06, 0, 0, 0, 0, 0, 10, 9, 1, 0, 0, 0}
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"type 1 on a new chunk stream", []byte{0x46, 0, 0, 0, 0, 0, 1, 9, 0}, "starts with a type 1 chunk"},
		{"type 3 on a new chunk stream", []byte{0xc6, 0}, "starts with a type 3 chunk"},
		{"new header in the middle of a message", cat([]byte{0x06, 0, 0, 0, 0, 0, 200, 9, 1, 0, 0, 0}, make([]byte, 128), hdr0), "in the middle of a message"},
		{"chunk size zero", []byte{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0}, "invalid chunk size 0"},
		{"chunk size with the top bit", []byte{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x80, 0, 1, 0}, "invalid chunk size"},
		{"chunk size above the limit", []byte{0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 1, 0, 1}, "chunk size 65537 exceeds the limit of 65536"},
		{"short set chunk size", []byte{0x02, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 1}, "short Set Chunk Size"},
		{"message above the limit", []byte{0x06, 0, 0, 0, 0x80, 0, 1, 9, 1, 0, 0, 0}, "message of 8388609 bytes exceeds the limit of 8388608"},
		{"cut inside a message", cat(hdr0, []byte("123")), io.ErrUnexpectedEOF.Error()},
		{"cut inside a header", hdr0[:5], io.ErrUnexpectedEOF.Error()},
		{"cut inside an extended timestamp", []byte{0x06, 0xff, 0xff, 0xff, 0, 0, 1, 9, 1, 0, 0, 0, 1}, io.ErrUnexpectedEOF.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(reader(tc.in))
			if err == nil || err == io.EOF || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestChunkBoundsDoNotAllocate checks that headers announcing large messages cost
// nothing until their bytes arrive, and that too many chunk streams are refused.
func TestChunkBoundsDoNotAllocate(t *testing.T) {
	var in []byte
	for csid := uint32(100); csid < 100+64; csid++ { // 64 streams, each opening an 8 MiB message with one chunk
		in = appendBasicHeader(in, 0, csid)
		in = append(in, 0, 0, 0, 0x80, 0, 0, 9, 1, 0, 0, 0)
		in = append(in, make([]byte, defaultChunkSize)...)
	}
	in = append(appendBasicHeader(in, 0, 1000), 0, 0, 0, 0, 0, 1, 9, 1, 0, 0, 0, 'x') // the 65th stream
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := readAll(reader(in))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 64 chunk streams") {
		t.Fatalf("err = %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("allocated %d bytes for %d bytes of input", n, len(in))
	}

	// Interleaved partial messages are bounded in sum too.
	cr := newChunkReader(bufio.NewReader(bytes.NewReader(nil)), 1<<16, 1000, 64)
	var in2 []byte
	for csid := byte(3); csid < 6; csid++ {
		in2 = append(in2, csid, 0, 0, 0, 0, 0x03, 0xe8, 9, 1, 0, 0, 0)
		in2 = append(in2, make([]byte, 128)...)
	}
	for range 6 {
		for csid := byte(3); csid < 6; csid++ {
			in2 = append(in2, 0xc0|csid)
			in2 = append(in2, make([]byte, 128)...)
		}
	}
	cr.r.Reset(bytes.NewReader(in2))
	if _, err := readAll(cr); err == nil || !strings.Contains(err.Error(), "partly received") {
		t.Errorf("err = %v, want the pending bound", err)
	}
}

func TestChunkWriterRoundTrip(t *testing.T) {
	msgs := []struct {
		csid uint32
		m    message
	}{
		{2, message{Type: msgSetChunkSize, Data: []byte{0, 0, 0, 200}}},
		{3, message{Type: msgCommandAMF0, Data: bytes.Repeat([]byte("c"), 1000)}},
		{70, message{Type: msgVideo, StreamID: 1, Timestamp: 0xffffff, Data: bytes.Repeat([]byte("v"), 450)}},
		{400, message{Type: msgAudio, StreamID: 1, Timestamp: 0xfffffffe, Data: []byte("a")}},
		{5, message{Type: msgAudio, StreamID: 1, Timestamp: 7, Data: []byte{}}},
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	cw := &chunkWriter{w: bw, chunkSize: defaultChunkSize}
	var want []message
	for _, x := range msgs {
		if err := cw.writeMessage(x.csid, x.m); err != nil {
			t.Fatal(err)
		}
		if x.m.Type == msgSetChunkSize {
			cw.chunkSize = 200
		}
		want = append(want, x.m)
	}
	bw.Flush()
	ms, err := readAll(reader(buf.Bytes()))
	if err != io.EOF {
		t.Fatal(err)
	}
	checkMessages(t, ms, want)
	if err := cw.writeMessage(1, message{}); err == nil {
		t.Error("chunk stream id 1 accepted")
	}
}

func TestChunkCleanEOF(t *testing.T) {
	_, err := readAll(reader([]byte{0x06, 0, 0, 0, 0, 0, 1, 9, 1, 0, 0, 0, 'x'}))
	if !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.EOF between messages", err)
	}
}
