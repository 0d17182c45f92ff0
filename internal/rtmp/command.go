package rtmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// publishStreamID is the message stream id createStream hands out. A connection
// publishes at most one stream at a time, so one id is enough.
const publishStreamID = 1

// errRefused marks the end of a connection we refused on purpose.
var errRefused = errors.New("refused")

// command runs one AMF0 command message: the connection's state machine.
func (c *conn) command(m message) error {
	vals, err := amfDecodeAll(m.Data)
	if err != nil {
		return fmt.Errorf("undecodable command: %w", err)
	}
	name, _ := get(vals, 0).(string)
	txn, _ := get(vals, 1).(float64)
	if name == "" {
		return errors.New("command without a name")
	}
	if !c.connected && name != "connect" {
		return fmt.Errorf("%q before connect", name)
	}
	c.log.Debug("command", "name", name, "txn", txn)
	switch name {
	case "connect":
		return c.connect(txn, vals)
	case "releaseStream":
		if txn != 0 {
			return c.sendCommand(0, "_result", txn, nil, amfUndefined{})
		}
	case "FCPublish":
		// FMS answered with onFCPublish; some encoders also wait for the _result.
		if txn != 0 {
			if err := c.sendCommand(0, "_result", txn, nil, amfUndefined{}); err != nil {
				return err
			}
		}
		return c.sendCommand(0, "onFCPublish", 0, nil, amfObject{
			{"code", "NetStream.Publish.Start"}, {"description", "FCPublish"}})
	case "createStream":
		return c.sendCommand(0, "_result", txn, nil, publishStreamID)
	case "publish":
		return c.publish(m.StreamID, vals)
	case "FCUnpublish", "deleteStream", "closeStream":
		// No reply: encoders close the connection right after these.
		if c.sink != nil {
			c.log.Info("unpublished", "by", name)
			c.endPublish(nil)
		}
	case "play", "play2":
		c.onStatus(m.StreamID, "error", "NetStream.Play.StreamNotFound",
			"this server only ingests: play is not supported")
		c.bw.Flush()
		return fmt.Errorf("%w: client asked to play", errRefused)
	default:
		if txn != 0 {
			return c.sendCommand(0, "_error", txn, nil, amfObject{
				{"level", "error"}, {"code", "NetConnection.Call.Failed"},
				{"description", "unknown command " + name}})
		}
	}
	return nil
}

func (c *conn) connect(txn float64, vals []any) error {
	if c.connected {
		return errors.New("second connect on one connection")
	}
	obj, ok := get(vals, 2).(amfObject)
	if !ok {
		return errors.New("connect without a command object")
	}
	app, query, _ := strings.Cut(obj.str("app"), "?")
	c.app, c.appQuery, c.tcURL = strings.Trim(app, "/"), query, obj.str("tcUrl")
	c.connected = true
	c.log = c.log.With("app", c.app)
	tcURL, _, _ := strings.Cut(c.tcURL, "?") // queries carry tokens: keep them out of logs
	c.log.Debug("connect", "tcUrl", tcURL, "flashVer", obj.str("flashVer"))

	if err := c.sendWindowAckSize(ourWindowSize); err != nil {
		return err
	}
	// Set Peer Bandwidth: the window, limit type 2 (dynamic).
	if err := c.sendControl(msgSetPeerBandwidth, append(binary.BigEndian.AppendUint32(nil, ourWindowSize), 2)); err != nil {
		return err
	}
	if err := c.sendControl(msgSetChunkSize, binary.BigEndian.AppendUint32(nil, ourChunkSize)); err != nil {
		return err
	}
	c.cw.chunkSize = ourChunkSize
	return c.sendCommand(0, "_result", txn,
		amfObject{{"fmsVer", "FMS/3,0,1,123"}, {"capabilities", 31}},
		amfObject{
			{"level", "status"}, {"code", "NetConnection.Connect.Success"},
			{"description", "Connection succeeded."}, {"objectEncoding", 0}})
}

func (c *conn) publish(streamID uint32, vals []any) error {
	name, _ := get(vals, 3).(string)
	if c.sink != nil {
		return c.refusePublish(streamID, errors.New("already publishing on this connection"))
	}
	name, query, _ := strings.Cut(name, "?")
	req := PublishRequest{
		App:    c.app,
		Name:   name,
		Path:   StreamPath(c.app, name),
		Query:  joinQuery(c.appQuery, query),
		TCURL:  c.tcURL,
		Remote: c.nc.RemoteAddr(),
	}
	log := c.log.With("path", PathForLog(req.Path))
	sink, err := c.srv.router.Publish(c.ctx, req)
	if err == nil && sink == nil {
		err = errors.New("no sink for this stream")
	}
	if err != nil {
		c.log = log
		return c.refusePublish(streamID, err)
	}
	c.log = log
	c.sink, c.streamID = sink, streamID
	c.watch(sink)
	c.log.Info("publishing")
	if err := c.sendUserControl(eventStreamBegin, streamID); err != nil {
		return err
	}
	return c.onStatus(streamID, "status", "NetStream.Publish.Start", "Publishing.")
}

// refusePublish tells the client why and ends the connection.
func (c *conn) refusePublish(streamID uint32, cause error) error {
	c.onStatus(streamID, "error", "NetStream.Publish.BadName", cause.Error())
	c.bw.Flush()
	return fmt.Errorf("%w: publish: %w", errRefused, cause)
}

func (c *conn) onStatus(streamID uint32, level, code, description string) error {
	return c.sendCommand(streamID, "onStatus", 0, nil, amfObject{
		{"level", level}, {"code", code}, {"description", description}})
}

func get(vals []any, i int) any {
	if i < len(vals) {
		return vals[i]
	}
	return nil
}

func joinQuery(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "&" + b
}

// PathForLog is what logs show of a stream path: its last segment, which is
// the stream key in every URL form, cut to enough to tell keys apart and never
// enough to publish with.
func PathForLog(path string) string {
	dir, key := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, key = path[:i+1], path[i+1:]
	}
	return dir + key[:min(4, len(key)/3)] + "…"
}
