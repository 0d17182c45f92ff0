package destination

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"

	"onair/internal/domain"
	"onair/internal/media"
)

// pushRTMP connects once to the RTMP(S) destination and streams until
// something fails: from the hub's current GOP, or its next keyframe.
func (w *Worker) pushRTMP(ctx context.Context) error {
	r := w.cfg.Hub.Subscribe("destination "+w.cfg.ID, queue)
	w.reader.Store(r)
	defer func() {
		w.reader.Store(nil)
		w.dropped.Add(r.Dropped())
		r.Close()
	}()
	// The stream's tracks first: nothing can be pushed before them.
	var tracks media.Tracks
	for tracks == nil {
		it, err := r.Next(ctx)
		if err != nil {
			return errHubClosed
		}
		tracks = it.Tracks
	}
	var conn *batchedConn
	batched := func(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conn = &batchedConn{Conn: nc}
			return conn, nil
		}
	}
	c := &gortmplib.Client{URL: clientURL(w.url), Publish: true, DialContext: batched((&net.Dialer{}).DialContext)}
	if w.url.Scheme == "rtmps" {
		c.TLSConfig = &tls.Config{ServerName: w.url.Hostname()}
		c.DialTLSContext = batched((&tls.Dialer{Config: c.TLSConfig}).DialContext)
	}
	dctx, cancel := context.WithTimeout(ctx, writeTimeout)
	err := c.Initialize(dctx)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	conn.batch()
	out := &rtmpStream{client: c}
	if err := out.begin(tracks); err != nil {
		return err
	}
	w.set(domain.DestinationActive, nil, time.Time{})
	reported := w.cfg.Now()
	for {
		it, err := r.Next(ctx)
		if err != nil {
			return errHubClosed
		}
		switch {
		case it.Tracks != nil:
			if !media.SameCodecs(tracks, it.Tracks) {
				return errors.New("the stream's configuration changed: reconnecting to send it")
			}
		case it.Unit != nil:
			c.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
			n, err := out.write(it.Unit)
			if err != nil {
				return err
			}
			w.sent.Add(uint64(n))
			if !r.Queued() {
				// Caught up: what the wake brought goes in one write.
				if err := conn.flush(); err != nil {
					return err
				}
			}
			if now := w.cfg.Now(); now.Sub(reported) >= reportEvery {
				reported = now
				w.progress()
			}
		}
	}
}

// batchedConn is a destination's connection, whose writes gather in a
// buffer once the handshake is over, and go out when the worker has sent
// what it had (flush): a wake of the worker brings a video frame and the
// audio around it, which gortmplib writes as several messages, each a
// system call and a wake of the server's side otherwise.
type batchedConn struct {
	net.Conn
	bw *bufio.Writer // nil during the handshake: writes go straight out
}

func (c *batchedConn) batch() { c.bw = bufio.NewWriterSize(c.Conn, 64<<10) }

func (c *batchedConn) Write(p []byte) (int, error) {
	if c.bw == nil {
		return c.Conn.Write(p)
	}
	return c.bw.Write(p)
}

func (c *batchedConn) flush() error {
	if c.bw == nil {
		return nil
	}
	return c.bw.Flush()
}

// clientURL is an RTMP URL as gortmplib's client takes it, with the stream
// name in the fragment: an RTMP URL as encoders and services write it has
// the application, then the stream name as its last path segment, which
// may carry a query (rtmp://a.rtmp.youtube.com/live2/KEY,
// rtmp://host/app/name?token=…). Given the whole path, gortmplib would
// connect to an application named after all of it, which servers refuse.
func clientURL(u *url.URL) *url.URL {
	c := *u
	path := strings.TrimRight(c.Path, "/")
	i := strings.LastIndex(path, "/")
	if i <= 0 {
		return &c // the application alone: no stream name
	}
	c.Fragment = path[i+1:]
	if c.RawQuery != "" {
		c.Fragment += "?" + c.RawQuery
	}
	c.Path, c.RawPath, c.RawQuery = path[:i], "", ""
	return &c
}

// rtmpStream is one connection's gortmplib writer and its tracks.
type rtmpStream struct {
	client *gortmplib.Client
	w      *gortmplib.Writer
	tracks []*gortmplib.Track // by the media tracks' index; nil for one not carried
}

func (s *rtmpStream) begin(tracks media.Tracks) error {
	s.tracks = make([]*gortmplib.Track, len(tracks))
	var all []*gortmplib.Track
	for i, t := range tracks {
		var c codecs.Codec
		switch x := t.Codec.(type) {
		case *media.H264:
			c = &codecs.H264{SPS: x.SPS, PPS: x.PPS}
		case *media.H265:
			c = &codecs.H265{VPS: x.VPS, SPS: x.SPS, PPS: x.PPS}
		case *media.AAC:
			cfg := x.Config
			c = &codecs.MPEG4Audio{Config: &cfg}
		default:
			continue
		}
		s.tracks[i] = &gortmplib.Track{Codec: c}
		all = append(all, s.tracks[i])
	}
	s.w = &gortmplib.Writer{Conn: s.client, Tracks: all}
	return s.w.Initialize()
}

// write sends one unit and reports its size.
func (s *rtmpStream) write(u *media.Unit) (int, error) {
	if u.Track < 0 || u.Track >= len(s.tracks) || s.tracks[u.Track] == nil {
		return 0, nil
	}
	t := s.tracks[u.Track]
	var err error
	switch t.Codec.(type) {
	case *codecs.H264:
		err = s.w.WriteH264(t, u.PTS, u.DTS, u.AU)
	case *codecs.H265:
		err = s.w.WriteH265(t, u.PTS, u.DTS, u.AU)
	case *codecs.MPEG4Audio:
		err = s.w.WriteMPEG4Audio(t, u.PTS, u.AU[0])
	}
	return u.Size(), err
}
