package ingest

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"onair/internal/media"
)

func TestConnectAndPublishReplies(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.command(0, "connect", 1, amf0.Object{{Key: "app", Value: "live?secret=1"}, {Key: "tcUrl", Value: "rtmp://h/live?secret=1"}})
	var got []string
	res := c.expect("connect _result", func(m message.Message) bool {
		switch m := m.(type) {
		case *message.SetWindowAckSize:
			got = append(got, "window")
			if m.Value != ourWindowSize {
				t.Errorf("window ack size %d", m.Value)
			}
		case *message.SetPeerBandwidth:
			got = append(got, "bandwidth")
		case *message.SetChunkSize:
			got = append(got, "chunk size")
			if m.Value != ourChunkSize {
				t.Errorf("chunk size %d", m.Value)
			}
		case *message.CommandAMF0:
			got = append(got, m.Name)
			return true
		}
		return false
	}).(*message.CommandAMF0)
	if strings.Join(got, ",") != "window,bandwidth,chunk size,_result" {
		t.Errorf("messages after connect = %v", got)
	}
	if res.CommandID != 1 || info(res, "code") != "NetConnection.Connect.Success" {
		t.Errorf("connect answered %d %v", res.CommandID, res.Arguments)
	}

	c.command(0, "releaseStream", 2, nil, "key")
	if v := c.expectCommand("_result"); v.CommandID != 2 {
		t.Errorf("releaseStream answered %+v", v)
	}
	c.command(0, "FCPublish", 3, nil, "key")
	if v := c.expectCommand("_result"); v.CommandID != 3 {
		t.Errorf("FCPublish answered %+v", v)
	}
	if v := c.expectCommand("onFCPublish"); info(v, "code") != "NetStream.Publish.Start" {
		t.Errorf("FCPublish answered %+v", v)
	}
	c.command(0, "createStream", 4, nil)
	if v := c.expectCommand("_result"); v.CommandID != 4 || len(v.Arguments) < 2 || v.Arguments[1] != 1.0 {
		t.Errorf("createStream answered %+v", v)
	}
	c.command(wireStream, "publish", 5, nil, "key?sig=2", "live")
	begin := c.expect("StreamBegin", func(m message.Message) bool { _, ok := m.(*message.UserControlStreamBegin); return ok })
	if id := begin.(*message.UserControlStreamBegin).StreamID; id != publishStreamID {
		t.Errorf("StreamBegin for stream %d", id)
	}
	st := c.expectCommand("onStatus")
	if st.MessageStreamID != wireStream || info(st, "code") != "NetStream.Publish.Start" {
		t.Errorf("publish answered %v on stream %#x", st.Arguments, st.MessageStreamID)
	}
	if req := r.requests()[0]; req.App != "live" || req.Name != "key" || req.Path != "live/key" || req.Query != "secret=1&sig=2" || req.TCURL != "rtmp://h/live?secret=1" {
		t.Errorf("request = %+v", req)
	}
}

func TestRefusedPublishStatus(t *testing.T) {
	r := newRecRouter()
	r.refuse = errors.New("key revoked")
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.connect("live")
	c.command(wireStream, "publish", 0, nil, "k", "live")
	st := c.expectCommand("onStatus")
	if info(st, "code") != "NetStream.Publish.BadName" || info(st, "description") != "key revoked" {
		t.Errorf("status = %v", st.Arguments)
	}
	if !c.closedByServer(2 * time.Second) {
		t.Error("connection still open after a refusal")
	}
}

// TestTracksAndConfigurationChanges: the tracks are announced at the first
// frame, with every sequence header sent before it; a repeated sequence
// header announces nothing, a changed one (or a track that appears)
// announces the new tracks before the next frame; frames before any
// sequence header are dropped.
func TestTracksAndConfigurationChanges(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.publish("live", "k")
	c.video(0, testIDR) // before its sequence header: dropped
	c.videoConfig(testSPS, testPPS)
	c.video(40, testIDR)
	c.video(80, testP)
	c.videoConfig(testSPS, testPPS) // the same again
	c.video(120, testP)
	aac := mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 48000, ChannelConfig: 2, ChannelCount: 2}
	c.send(&message.Audio{ChunkStreamID: 4, MessageStreamID: wireStream, Codec: message.CodecMPEG4Audio,
		Rate: message.AudioRate44100, Depth: message.AudioDepth16, IsStereo: true, AACType: message.AudioAACTypeConfig, AACConfig: &aac})
	c.send(&message.Audio{ChunkStreamID: 4, MessageStreamID: wireStream, Codec: message.CodecMPEG4Audio, DTS: 130 * time.Millisecond,
		Rate: message.AudioRate44100, Depth: message.AudioDepth16, IsStereo: true, AACType: message.AudioAACTypeAU, AU: []byte{0x21, 0x10}})
	c.videoConfig(testSPS2, testPPS) // new parameter sets
	c.video(160, testIDR)
	c.command(wireStream, "deleteStream", 0, nil, 1.0)

	s := r.sink(t)
	if closes, err := s.closeResult(t); closes != 1 || err != nil {
		t.Fatalf("Close called %d times, with %v", closes, err)
	}
	begins, units := s.snapshot()
	if len(begins) != 3 {
		t.Fatalf("%d Begins, want 3 (first frame, audio appears, new SPS): %v", len(begins), begins)
	}
	if len(begins[0]) != 1 || !bytes.Equal(begins[0][0].Codec.(*media.H264).SPS, testSPS) {
		t.Errorf("first tracks: %v", begins[0])
	}
	if len(begins[1]) != 2 || begins[1].Audio() != 1 || begins[1][1].Codec.(*media.AAC).Config != aac {
		t.Errorf("second tracks: %v", begins[1])
	}
	if len(begins[2]) != 2 || !bytes.Equal(begins[2][0].Codec.(*media.H264).SPS, testSPS2) {
		t.Errorf("third tracks: %v", begins[2])
	}
	type seen struct {
		track  int
		dts    time.Duration
		random bool
	}
	var got []seen
	for _, u := range units {
		got = append(got, seen{u.Track, u.DTS, u.Random})
	}
	want := []seen{{0, 40 * time.Millisecond, true}, {0, 80 * time.Millisecond, false}, {0, 120 * time.Millisecond, false},
		{1, 130 * time.Millisecond, true}, {0, 160 * time.Millisecond, true}}
	if len(got) != len(want) {
		t.Fatalf("units %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("unit %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !bytes.Equal(units[0].AU[0], testIDR) || !bytes.Equal(units[3].AU[0], []byte{0x21, 0x10}) {
		t.Errorf("unit data %x, %x", units[0].AU, units[3].AU)
	}
}

// TestUnsupportedCodecIsTold: a codec onair cannot carry ends the publisher,
// which is told why.
func TestUnsupportedCodecIsTold(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		msg        message.Message
	}{
		{"AV1 over Enhanced RTMP", `unsupported video codec "av01"`, &message.VideoExSequenceStart{ChunkStreamID: 6, MessageStreamID: wireStream,
			FourCC: message.FourCCAV1, AV1Config: &mp4.Av1C{Marker: 1, Version: 1, SeqLevelIdx0: 8, ChromaSubsamplingX: 1, ChromaSubsamplingY: 1,
				ConfigOBUs: []byte{0xa, 0xb, 0x0, 0x0, 0x0, 0x42, 0xab, 0xbf, 0xc3, 0x70, 0xb, 0xe0, 0x1}}}},
		{"MP3", "unsupported audio codec (FLV sound format 2)", &message.Audio{ChunkStreamID: 4, MessageStreamID: wireStream,
			Codec: message.CodecMPEG1Audio, AU: []byte{0xff, 0xfb}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecRouter()
			_, addr := startServer(t, r, Options{})
			c := dialClient(t, addr)
			c.publish("live", "k")
			c.send(tc.msg)
			st := c.expectCommand("onStatus")
			if info(st, "code") != "NetStream.Failed" || !strings.Contains(info(st, "description"), tc.want) {
				t.Errorf("status %v, want NetStream.Failed with %q", st.Arguments, tc.want)
			}
			if !c.closedByServer(3 * time.Second) {
				t.Error("connection still open")
			}
			if _, err := r.sink(t).closeResult(t); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Close(%v)", err)
			}
		})
	}
}

func TestRepublishOnOneConnection(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.publish("live", "a")
	c.command(wireStream, "deleteStream", 0, nil, 1.0)
	c.command(0, "createStream", 7, nil)
	c.expectCommand("_result")
	c.command(wireStream, "publish", 0, nil, "b", "live")
	if code := info(c.expectCommand("onStatus"), "code"); code != "NetStream.Publish.Start" {
		t.Fatalf("second publish: %s", code)
	}
	c.videoConfig(testSPS, testPPS)
	c.video(0, testIDR)
	c.nc.Close()
	waitFor(t, 5*time.Second, "both sinks closed", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.sinks) == 2 && isClosed(r.sinks[0].closed) && isClosed(r.sinks[1].closed)
	})
	if a, b := r.sinks[0], r.sinks[1]; len(a.units) != 0 || len(b.units) != 1 || a.closes != 1 || b.closes != 1 || a.closeErr != nil || b.closeErr != nil {
		t.Errorf("first sink: %d units, %d closes (%v); second: %d units, %d closes (%v)",
			len(a.units), a.closes, a.closeErr, len(b.units), b.closes, b.closeErr)
	}
	if reqs := r.requests(); reqs[0].Path != "live/a" || reqs[1].Path != "live/b" {
		t.Errorf("requests %+v", reqs)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestPingAndAcknowledgement(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.send(&message.SetWindowAckSize{Value: 5000})
	c.publish("live", "k")
	c.send(&message.UserControlPingRequest{ServerTime: 1234})
	pong := c.expect("ping response", func(m message.Message) bool { _, ok := m.(*message.UserControlPingResponse); return ok })
	if v := pong.(*message.UserControlPingResponse).ServerTime; v != 1234 {
		t.Errorf("ping response for %d", v)
	}
	c.videoConfig(testSPS, testPPS)
	for i := range 4 {
		c.video(i*40, append([]byte{0x41}, make([]byte, 2000)...))
	}
	ack := c.expect("acknowledgement", func(m message.Message) bool { _, ok := m.(*message.Acknowledge); return ok })
	// The handshake alone is 3073 bytes, the session a few hundred more, the video 8000.
	if seq := ack.(*message.Acknowledge).Value; seq < 5000 || seq > 3073+1000+8100 {
		t.Errorf("acknowledged %d bytes", seq)
	}
}

func TestUnknownCommands(t *testing.T) {
	_, addr := startServer(t, newRecRouter(), Options{})
	c := dialClient(t, addr)
	c.connect("live")
	c.command(0, "noSuchThing", 0, nil) // no transaction: no answer
	c.command(0, "_checkbw", 9, nil)
	if v := c.expectCommand("_error"); v.CommandID != 9 || info(v, "code") != "NetConnection.Call.Failed" {
		t.Errorf("_error = %+v", v)
	}
}

func TestProtocolErrorsCloseTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		send      func(c *testClient)
	}{
		{"command before connect", `publish\" before connect`, func(c *testClient) {
			c.command(0, "publish", 0, nil, "k")
		}},
		{"chunk size above the limit", "chunk size 1048576 exceeds the limit of 65536", func(c *testClient) {
			c.send(&message.SetChunkSize{Value: 1 << 20})
		}},
		{"message above gortmplib's limit", "body size (11000000) exceeds maximum", func(c *testClient) {
			// A type 0 chunk on stream 6 of a video message of 11,000,000
			// bytes: gortmplib checks the length after the chunk's 128.
			c.nc.Write(append([]byte{0x06, 0, 0, 0, 0xa7, 0xd8, 0xc0, 9, 1, 0, 0, 0}, make([]byte, 128)...))
		}},
		{"undecodable command", "unreadable message", func(c *testClient) {
			c.nc.Write([]byte{0x03, 0, 0, 0, 0, 0, 11, 20, 0, 0, 0, 0, 2, 0, 7, 'c', 'o', 'n', 'n', 'e', 'c', 't', 0x0d, 0})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			_, addr := startServer(t, newRecRouter(), Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
			c := dialClient(t, addr)
			tc.send(c)
			if !c.closedByServer(2 * time.Second) {
				t.Fatal("connection still open")
			}
			waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(logs.String(), tc.log) })
		})
	}
}

func TestSinkErrorDropsThePublisher(t *testing.T) {
	r := newRecRouter()
	r.failAt = 2
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.publish("live", "k")
	c.videoConfig(testSPS, testPPS)
	c.video(0, testIDR)
	c.video(40, testP)
	if !c.closedByServer(2 * time.Second) {
		t.Fatal("connection still open after the sink failed")
	}
	if _, err := r.sink(t).closeResult(t); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close(%v), want the sink's error", err)
	}
}

func TestStreamPath(t *testing.T) {
	cases := []struct{ app, name, want string }{
		{"live", "KEY", "live/KEY"},         // rtmp://host/live/KEY
		{"", "live/KEY", "live/KEY"},        // OBS: server rtmp://host/, stream key live/KEY
		{"live/", "KEY", "live/KEY"},        // OBS: server rtmp://host/live/, stream key KEY
		{"KEY", "", "KEY"},                  // rtmp://host/KEY
		{"", "KEY", "KEY"},                  // server rtmp://host/, stream key KEY
		{"/live//", "/KEY/", "live/KEY"},    // stray slashes
		{"live/sub", "KEY", "live/sub/KEY"}, // a deeper app stays deeper
		{"./live", "KEY", "live/KEY"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := StreamPath(c.app, c.name); got != c.want {
			t.Errorf("StreamPath(%q, %q) = %q, want %q", c.app, c.name, got, c.want)
		}
	}
}

func TestPathForLog(t *testing.T) {
	cases := []struct{ path, want string }{
		{"live/0123456789abcdef0123456789abcdef", "live/0123…"},
		{"0123456789abcdef0123456789abcdef", "0123…"},
		{"live/ab", "live/…"},
		{"", "…"},
	}
	for _, c := range cases {
		if got := PathForLog(c.path); got != c.want {
			t.Errorf("PathForLog(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}
