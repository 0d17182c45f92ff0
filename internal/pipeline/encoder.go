package pipeline

import (
	"bufio"
	"context"
	"errors"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"

	"onair/internal/media"
)

// Encoder runs a pipeline's encoding. It reads the source's hub and writes
// it as MPEG-TS into its supervised ffmpeg, and reads each rendition that
// ffmpeg encodes into that rendition's hub, each ffmpeg instance a source
// there. Between instances (a restart) the source's units are dropped, and
// the next instance starts at a keyframe.
type Encoder struct {
	sup    *Supervisor
	source *media.Hub
	top    *media.Hub // the first output
	delay  *delayMeter
	stop   chan struct{}
	done   chan struct{}
}

// NewEncoder returns an encoder of source into outs (one hub per output of
// the argv that cfg.Args builds); cfg's Outputs and OnOutput are its own.
func NewEncoder(cfg Config, source *media.Hub, outs []*media.Hub) *Encoder {
	cfg.Outputs = len(outs)
	cfg.OnOutput = func(_, i int, r io.Reader) {
		if err := media.ReadTS(r, outs[i]); err != nil && cfg.Log != nil {
			cfg.Log.Warn("reading what ffmpeg encoded failed", "output", i, "err", err)
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Encoder{sup: New(cfg), source: source, top: outs[0], delay: &delayMeter{now: now},
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Delay is how long ffmpeg held the latest frame of the top rendition, from
// its write into ffmpeg to its coming out encoded; false before the first.
func (e *Encoder) Delay() (time.Duration, bool) { return e.delay.Delay() }

// Supervisor is the encoder's ffmpeg supervision, for its health and metrics.
func (e *Encoder) Supervisor() *Supervisor { return e.sup }

// Start starts ffmpeg (see Supervisor.Start) and the feeding of its input.
func (e *Encoder) Start(ctx context.Context) error {
	if err := e.sup.Start(ctx); err != nil {
		close(e.done)
		return err
	}
	// Subscribed before Start returns: the source's hold ends after it, and
	// a reader that came later would start at the next keyframe.
	go e.delay.run(e.top.Subscribe("meter/encoder delay", media.ReaderQueue))
	go e.feed(e.source.Subscribe("encoder", media.ReaderQueue))
	return nil
}

// Stop stops feeding ffmpeg, then ffmpeg (see Supervisor.Stop): it finishes
// what it encoded, which reaches the renditions' hubs before Stop returns.
func (e *Encoder) Stop(ctx context.Context) error {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	<-e.done
	return e.sup.Stop(ctx)
}

// feed writes what r reads of the source into the instance up, until Stop.
func (e *Encoder) feed(r *media.Reader) {
	defer close(e.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer r.Close()
	var (
		tracks media.Tracks
		w      *tsInput
	)
	for {
		it, err := r.Next(ctx)
		if err != nil {
			return
		}
		switch {
		case it.Tracks != nil:
			if w != nil && !media.SameCodecs(tracks, it.Tracks) {
				w = nil // another configuration: a fresh stream, from a keyframe
			}
			tracks = it.Tracks
		case it.Unit != nil && tracks != nil:
			in := e.sup.acquire()
			if in == nil {
				w = nil // between instances: dropped
				continue
			}
			if w == nil || w.in != in {
				if w, err = newTSInput(in, tracks); err != nil {
					w = nil
					continue
				}
			}
			wrote, err := w.write(it.Unit)
			if err != nil {
				w = nil // the instance went: the next one starts afresh
			} else if wrote && it.Unit.Track == tracks.Video() {
				e.delay.wrote(it.Unit.PTS)
			}
		}
	}
}

// tsInput is one ffmpeg instance's input stream: MPEG-TS from the first
// keyframe on, each unit one write.
type tsInput struct {
	in      *instance
	tracks  media.Tracks
	ts      []*mpegts.Track // by the tracks' index; nil for a track left out
	bw      *bufio.Writer
	w       *mpegts.Writer
	waitKey bool
}

// errShort is a write the instance did not take whole.
var errShort = errors.New("pipeline: short write to ffmpeg")

// instanceWriter writes to an instance within its write timeout.
type instanceWriter struct{ in *instance }

func (w instanceWriter) Write(p []byte) (int, error) {
	n, err := w.in.write(p)
	if err == nil && n < len(p) {
		err = errShort
	}
	return n, err
}

func newTSInput(in *instance, tracks media.Tracks) (*tsInput, error) {
	t := &tsInput{in: in, tracks: tracks, ts: make([]*mpegts.Track, len(tracks)), waitKey: tracks.Video() >= 0}
	var all []*mpegts.Track
	for i, tr := range tracks {
		c := media.TSCodec(tr.Codec)
		if c == nil {
			continue
		}
		t.ts[i] = &mpegts.Track{Codec: c}
		all = append(all, t.ts[i])
	}
	t.bw = bufio.NewWriterSize(instanceWriter{in}, 64<<10)
	t.w = &mpegts.Writer{W: t.bw, Tracks: all}
	if err := t.w.Initialize(); err != nil {
		return nil, err
	}
	return t, nil
}

// write writes one unit, from the first video keyframe on, with the video's
// parameter sets in band before each keyframe (an RTMP publisher sends them
// once, out of band; ffmpeg's decoder needs them in the stream). It reports
// whether it wrote u.
func (t *tsInput) write(u *media.Unit) (bool, error) {
	if u.Track < 0 || u.Track >= len(t.ts) || t.ts[u.Track] == nil {
		return false, nil
	}
	track := t.ts[u.Track]
	var err error
	switch c := t.tracks[u.Track].Codec.(type) {
	case *media.H264:
		if t.waitKey && !u.Random {
			return false, nil
		}
		t.waitKey = false
		au := u.AU
		if u.Random && !hasH264Params(au) {
			au = append([][]byte{c.SPS, c.PPS}, au...)
		}
		err = t.w.WriteH264(track, media.TSTicks(u.PTS), media.TSTicks(u.DTS), au)
	case *media.H265:
		if t.waitKey && !u.Random {
			return false, nil
		}
		t.waitKey = false
		au := u.AU
		if u.Random && !hasH265Params(au) {
			au = append([][]byte{c.VPS, c.SPS, c.PPS}, au...)
		}
		err = t.w.WriteH265(track, media.TSTicks(u.PTS), media.TSTicks(u.DTS), au)
	case *media.AAC:
		if t.waitKey {
			return false, nil
		}
		err = t.w.WriteMPEG4Audio(track, media.TSTicks(u.PTS), u.AU)
	}
	if err == nil {
		err = t.bw.Flush()
	}
	return err == nil, err
}

func hasH264Params(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS {
			return true
		}
	}
	return false
}

func hasH265Params(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 1 && h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_VPS_NUT {
			return true
		}
	}
	return false
}
