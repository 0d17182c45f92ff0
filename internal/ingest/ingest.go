// Package ingest is onair's RTMP ingest server, on gortmplib: encoders (OBS,
// ffmpeg, hardware encoders) publish to it, a Router decides where each stream
// goes, and the accepted stream reaches the Router's Sink as media: its tracks
// with their codec configuration, then its access units. It takes H.264 and
// H.265 video, the latter also over Enhanced RTMP (OBS 30+), and AAC audio. It
// does not play streams.
//
// What a Sink sees is what the encoder sent, in order, on the connection's
// goroutine. Timestamps are the encoder's own, as gortmplib reads them
// (milliseconds, starting wherever the encoder starts them, usually 0).
// Nothing is cached, reordered or rebased: every publish is a new Publish and
// a new Sink, so keeping a run's timeline continuous across reconnects, and
// deciding what a second publisher of a live key gets, are the Router's job.
// A publisher whose network died may only be noticed after ReadTimeout, after
// its replacement has already connected.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"onair/internal/media"
)

// Router decides what happens to a publish request. It is implemented by the engine.
type Router interface {
	// Publish is called when a client sends publish(streamKey) on app. A nil
	// error accepts the stream: its media goes to the Sink. An error refuses
	// it: the client gets onStatus NetStream.Publish.BadName with the error's
	// text as the description, and the connection is closed.
	Publish(ctx context.Context, req PublishRequest) (Sink, error)
}

// PublishRequest describes a client that wants to publish.
type PublishRequest struct {
	// App and Name are connect's app and publish's stream name as the client
	// split them, without their query strings.
	App, Name string
	// Path is App and Name joined with "/", with empty and "." segments
	// dropped: what routing goes by, since clients split one URL differently.
	// rtmp://host/live/KEY (app "live", name "KEY"), OBS's server
	// rtmp://host/ with stream key live/KEY (app "", name "live/KEY") and
	// rtmp://host/live/ with key KEY all give "live/KEY"; rtmp://host/KEY
	// (app "KEY", no name) gives "KEY".
	Path  string
	Query string // anything after '?' in the stream name or app, e.g. tokens ("&"-joined if both have one)
	TCURL string // connect's tcUrl, as the client sent it
	// ConnectArgs are the string arguments the client's connect command
	// sent after its command object (ffmpeg's -rtmp_conn "S:user S:pass"):
	// Red5's round-trip authentication puts the credentials there.
	ConnectArgs []string
	Remote      net.Addr // the client's address
}

// StreamPath joins an RTMP app and stream name into the path that a stream is
// known by (see PublishRequest.Path).
func StreamPath(app, name string) string {
	var segs []string
	for _, part := range []string{app, name} {
		for _, seg := range strings.Split(part, "/") {
			if seg != "" && seg != "." {
				segs = append(segs, seg)
			}
		}
	}
	return strings.Join(segs, "/")
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

// Sink receives one publisher's media in order, on the connection's goroutine.
type Sink interface {
	// Begin says what the publisher's tracks are, video first: it comes
	// before the first Write, and again before the first unit under a new
	// configuration when the publisher sends one mid-stream (new parameter
	// sets, a track that appears). An error drops the publisher.
	Begin(tracks media.Tracks) error
	// Write receives one access unit of the tracks of the latest Begin, with
	// the publisher's timestamps. The sink may keep u and its data: nothing
	// changes them afterwards. An error drops the publisher.
	Write(u *media.Unit) error
	// Close says the publisher is gone: nil after FCUnpublish/deleteStream/clean
	// close (the client closing the connection between messages), the cause
	// otherwise (ErrSinkDone, ErrServerClosed, a timeout, a protocol or sink error).
	// Called exactly once.
	Close(err error)
	// Done is closed when the engine wants the publisher disconnected (run stopped);
	// the server then closes the connection promptly.
	Done() <-chan struct{}
}

// A Sink whose Done closed because something failed (its channel could not
// start, say) can say why by implementing Causer: the server sends the cause to
// the encoder as onStatus NetStream.Failed before it closes the connection, so
// that the encoder's log shows it (ffmpeg prints "Server error: <cause>").
type Causer interface {
	// Cause is why Done closed; nil when it was no failure (the run stopped).
	Cause() error
}

// Options bound what one server and each of its connections may use.
//
// gortmplib bounds the rest itself, not configurably: a message is at most
// 10 MiB, and a connection has at most 62 chunk streams (it refuses the
// extended chunk stream ids), so a connection assembles at most that many
// messages at once.
type Options struct {
	Log *slog.Logger // default slog.Default(); connections log through children of it
	// HandshakeTimeout bounds the RTMP handshake (default 10 s). ReadTimeout
	// drops a publisher that sends nothing for it (default 30 s; it is
	// noticed up to a quarter of it, at most a second, later); writes get as
	// long.
	HandshakeTimeout, ReadTimeout time.Duration
	// MaxChunkSize is the largest Set Chunk Size accepted (default 64 KiB): a
	// larger one ends the connection before any chunk of that size is read.
	MaxChunkSize uint32
	MaxConns     int // concurrent connections (default 1000)
}

// Sentinel causes passed to Sink.Close.
var (
	// ErrServerClosed is the cause when Server.Close ends a publisher.
	ErrServerClosed = errors.New("ingest: server closed")
	// ErrSinkDone is the cause when the sink's Done channel ended a publisher.
	ErrSinkDone = errors.New("ingest: publisher disconnected by the sink")
)
