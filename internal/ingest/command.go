package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"
)

// Chunk streams and sizes we send with.
const (
	csidCommand   = 3
	csidStatus    = 5
	ourChunkSize  = 4096
	ourWindowSize = 2_500_000 // the Window Ack Size and peer bandwidth we announce
)

// publishStreamID is the message stream createStream hands out. A connection
// publishes at most one stream at a time, so one id is enough.
const publishStreamID = 1

// maxConnectArgs bounds the connect arguments kept for the Router.
const maxConnectArgs = 8

// errRefused marks the end of a connection we refused on purpose.
var errRefused = errors.New("refused")

// command runs one AMF0 command.
func (c *conn) command(m *message.CommandAMF0) error {
	if !c.connected && m.Name != "connect" {
		return fmt.Errorf("%q before connect", m.Name)
	}
	c.log.Debug("command", "name", m.Name, "txn", m.CommandID)
	switch m.Name {
	case "connect":
		return c.connect(m)
	case "releaseStream":
		if m.CommandID != 0 {
			return c.sendCommand(m.MessageStreamID, "_result", m.CommandID, nil, amf0.Undefined{})
		}
	case "FCPublish":
		// FMS answered with onFCPublish; some encoders also wait for the _result.
		if m.CommandID != 0 {
			if err := c.sendCommand(m.MessageStreamID, "_result", m.CommandID, nil, amf0.Undefined{}); err != nil {
				return err
			}
		}
		return c.sendCommand(m.MessageStreamID, "onFCPublish", 0, nil, amf0.Object{
			{Key: "code", Value: "NetStream.Publish.Start"}, {Key: "description", Value: "FCPublish"}})
	case "createStream":
		return c.sendCommand(m.MessageStreamID, "_result", m.CommandID, nil, float64(publishStreamID))
	case "publish":
		return c.publish(m)
	case "FCUnpublish", "deleteStream", "closeStream":
		// No reply: encoders close the connection right after these.
		if c.pub != nil {
			c.log.Info("unpublished", "by", m.Name)
			c.endPublish(nil)
		}
	case "play", "play2":
		c.onStatus(m.MessageStreamID, "error", "NetStream.Play.StreamNotFound",
			"this server only ingests: play is not supported")
		return fmt.Errorf("%w: client asked to play", errRefused)
	default:
		if m.CommandID != 0 {
			return c.sendCommand(m.MessageStreamID, "_error", m.CommandID, nil, amf0.Object{
				{Key: "level", Value: "error"}, {Key: "code", Value: "NetConnection.Call.Failed"},
				{Key: "description", Value: "unknown command " + m.Name}})
		}
	}
	return nil
}

func (c *conn) connect(m *message.CommandAMF0) error {
	if c.connected {
		return errors.New("second connect on one connection")
	}
	obj, ok := commandObject(arg(m, 0))
	if !ok {
		return errors.New("connect without a command object")
	}
	app, _ := obj.GetString("app")
	tcURL, _ := obj.GetString("tcUrl")
	app, query, _ := strings.Cut(app, "?")
	c.app, c.appQuery, c.tcURL = strings.Trim(app, "/"), query, tcURL
	for _, a := range m.Arguments[1:] {
		if s, ok := a.(string); ok && len(c.connectArgs) < maxConnectArgs {
			c.connectArgs = append(c.connectArgs, s)
		}
	}
	c.connected = true
	c.log = c.log.With("app", c.app)
	flashVer, _ := obj.GetString("flashVer")
	cleanURL, _, _ := strings.Cut(c.tcURL, "?") // queries carry tokens: keep them out of logs
	c.log.Debug("connect", "tcUrl", cleanURL, "flashVer", flashVer)

	for _, ctl := range []message.Message{
		&message.SetWindowAckSize{Value: ourWindowSize},
		&message.SetPeerBandwidth{Value: ourWindowSize, Type: 2}, // dynamic
		&message.SetChunkSize{Value: ourChunkSize},
	} {
		if err := c.mrw.Write(ctl); err != nil {
			return err
		}
	}
	return c.sendCommand(0, "_result", m.CommandID,
		amf0.Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}, {Key: "capabilities", Value: float64(31)}},
		amf0.Object{
			{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"},
			{Key: "description", Value: "Connection succeeded."}, {Key: "objectEncoding", Value: float64(0)}})
}

func (c *conn) publish(m *message.CommandAMF0) error {
	if c.pub != nil {
		return c.refusePublish(m.MessageStreamID, errors.New("already publishing on this connection"))
	}
	name, _ := arg(m, 1).(string)
	name, query, _ := strings.Cut(name, "?")
	req := PublishRequest{
		App:         c.app,
		Name:        name,
		Path:        StreamPath(c.app, name),
		Query:       joinQuery(c.appQuery, query),
		TCURL:       c.tcURL,
		ConnectArgs: c.connectArgs,
		Remote:      c.nc.RemoteAddr(),
	}
	c.log = c.log.With("path", PathForLog(req.Path))
	sink, err := c.srv.router.Publish(c.ctx, req)
	if err == nil && sink == nil {
		err = errors.New("no sink for this stream")
	}
	if err != nil {
		return c.refusePublish(m.MessageStreamID, err)
	}
	c.pub = &publication{sink: sink, streamID: m.MessageStreamID, unwatch: c.watch(sink)}
	c.pub.demux.init(sink, c.log)
	c.log.Info("publishing")
	if err := c.mrw.Write(&message.UserControlStreamBegin{StreamID: publishStreamID}); err != nil {
		return err
	}
	return c.onStatus(m.MessageStreamID, "status", "NetStream.Publish.Start", "Publishing.")
}

// refusePublish tells the client why and ends the connection.
func (c *conn) refusePublish(streamID uint32, cause error) error {
	c.onStatus(streamID, "error", "NetStream.Publish.BadName", cause.Error())
	return fmt.Errorf("%w: publish: %w", errRefused, cause)
}

func (c *conn) onStatus(streamID uint32, level, code, description string) error {
	return c.mrw.Write(&message.CommandAMF0{
		ChunkStreamID:   csidStatus,
		MessageStreamID: streamID,
		Name:            "onStatus",
		Arguments: []any{nil, amf0.Object{
			{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: description}}},
	})
}

func (c *conn) sendCommand(streamID uint32, name string, txn int, args ...any) error {
	return c.mrw.Write(&message.CommandAMF0{
		ChunkStreamID: csidCommand, MessageStreamID: streamID, Name: name, CommandID: txn, Arguments: args})
}

// arg is a command's i-th argument after its transaction id (the command
// object is the first), nil when it has fewer.
func arg(m *message.CommandAMF0, i int) any {
	if i < len(m.Arguments) {
		return m.Arguments[i]
	}
	return nil
}

func commandObject(v any) (amf0.Object, bool) {
	switch o := v.(type) {
	case amf0.Object:
		return o, true
	case amf0.ECMAArray:
		return amf0.Object(o), true
	}
	return nil, false
}

func joinQuery(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "&" + b
}
