package ingest

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"
)

// testClient is a minimal RTMP publisher on gortmplib's message layer, for
// the protocol corners that ffmpeg and gortmplib's own client cannot be made
// to hit.
type testClient struct {
	t   *testing.T
	nc  net.Conn
	mrw *message.ReadWriter
}

// wireStream is message stream 1 as gortmplib numbers it: it reads the
// chunk header's little-endian stream id as big-endian, and writes it back
// the same way.
const wireStream = publishStreamID << 24

func dialClient(t *testing.T, addr string) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	bc := bytecounter.NewReadWriter(nc)
	if _, _, err := handshake.DoClient(bc, false, true); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return &testClient{t: t, nc: nc, mrw: message.NewReadWriter(bc, bc, false)}
}

func (c *testClient) send(m message.Message) {
	c.t.Helper()
	if err := c.mrw.Write(m); err != nil {
		c.t.Fatalf("client write: %v", err)
	}
}

func (c *testClient) command(streamID uint32, name string, txn int, args ...any) {
	c.t.Helper()
	c.send(&message.CommandAMF0{ChunkStreamID: 3, MessageStreamID: streamID, Name: name, CommandID: txn, Arguments: args})
}

// expect reads until a message matching want arrives and returns it.
func (c *testClient) expect(what string, want func(message.Message) bool) message.Message {
	c.t.Helper()
	for {
		m, err := c.mrw.Read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if want(m) {
			return m
		}
	}
}

// expectCommand reads until the command name arrives and returns it.
func (c *testClient) expectCommand(name string) *message.CommandAMF0 {
	c.t.Helper()
	return c.expect(name, func(m message.Message) bool {
		cmd, ok := m.(*message.CommandAMF0)
		return ok && cmd.Name == name
	}).(*message.CommandAMF0)
}

// info is an onStatus's or _result's info object: the argument after the
// command object.
func info(cmd *message.CommandAMF0, key string) string {
	if len(cmd.Arguments) < 2 {
		return ""
	}
	o, _ := commandObject(cmd.Arguments[1])
	s, _ := o.GetString(key)
	return s
}

func (c *testClient) connect(app string) {
	c.t.Helper()
	c.command(0, "connect", 1, amf0.Object{{Key: "app", Value: app}, {Key: "type", Value: "nonprivate"}, {Key: "tcUrl", Value: "rtmp://test/" + app}})
	if res := c.expectCommand("_result"); info(res, "code") != "NetConnection.Connect.Success" {
		c.t.Fatalf("connect answered %v", res.Arguments)
	}
}

// publish connects, creates a stream and publishes key, returning the onStatus code.
func (c *testClient) publish(app, key string) string {
	c.t.Helper()
	c.connect(app)
	c.command(0, "createStream", 2, nil)
	res := c.expectCommand("_result")
	if len(res.Arguments) < 2 || res.Arguments[1] != float64(publishStreamID) {
		c.t.Fatalf("createStream answered %v", res.Arguments)
	}
	c.command(wireStream, "publish", 0, nil, key, "live")
	return info(c.expectCommand("onStatus"), "code")
}

// Parameter sets the tests send: the ingest does not parse them, only
// passes them on.
var (
	testSPS  = []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8}
	testSPS2 = []byte{0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8}
	testPPS  = []byte{0x68, 0xce, 0x38, 0x80}
	testIDR  = []byte{0x65, 0x88, 0x84, 0x00}
	testP    = []byte{0x41, 0x9a, 0x02, 0x00}
)

func avcConfig(sps, pps []byte) *mp4.AVCDecoderConfiguration {
	c := &mp4.AVCDecoderConfiguration{
		AnyTypeBox: mp4.AnyTypeBox{Type: mp4.BoxTypeAvcC()}, ConfigurationVersion: 1, Profile: 66, Level: 30,
		Reserved: 0b111111, LengthSizeMinusOne: 3, Reserved2: 0b111,
		NumOfSequenceParameterSets: 1, SequenceParameterSets: []mp4.AVCParameterSet{{Length: uint16(len(sps)), NALUnit: sps}},
		NumOfPictureParameterSets: 1, PictureParameterSets: []mp4.AVCParameterSet{{Length: uint16(len(pps)), NALUnit: pps}},
	}
	return c
}

// videoConfig sends an AVC sequence header.
func (c *testClient) videoConfig(sps, pps []byte) {
	c.t.Helper()
	c.send(&message.Video{ChunkStreamID: 6, MessageStreamID: wireStream, Codec: message.CodecH264,
		IsKeyFrame: true, Type: message.VideoTypeConfig, AVCConfig: avcConfig(sps, pps)})
}

// video sends one H.264 frame of one NALU.
func (c *testClient) video(ms int, nalu []byte) {
	c.t.Helper()
	avcc := append([]byte{0, 0, 0, byte(len(nalu))}, nalu...)
	c.send(&message.Video{ChunkStreamID: 6, MessageStreamID: wireStream, Codec: message.CodecH264,
		IsKeyFrame: nalu[0]&0x1f == 5, Type: message.VideoTypeAU, AU: avcc, DTS: time.Duration(ms) * time.Millisecond})
}

// closedByServer reports whether the server closed the connection within d.
func (c *testClient) closedByServer(d time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		if _, err := c.mrw.Read(); err != nil {
			var op *net.OpError
			return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &op) && !op.Timeout())
		}
	}
}
