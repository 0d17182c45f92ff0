package recorder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"

	"onair/internal/clip"
	"onair/internal/media"
)

// The archive's MP4 is built while the run goes: a fragmented MP4 that gets
// one fragment per GOP (at least fragmentMin long), appended as it closes, so
// that when the run stops it is done: finishing does not grow with the run's
// length. A sidecar (mp4State) says how much of the file is whole, so that a
// recorder reopened after a crash cuts a fragment that was half written and
// goes on.

// fragmentMin is the shortest fragment; a fragment ends at the first
// keyframe after it.
const fragmentMin = time.Second

// videoScale is the video track's timescale, MPEG-TS's clock.
const videoScale = 90000

// mp4State is what the sidecar keeps across processes.
type mp4State struct {
	Complete int64  `json:"complete"` // bytes of the file that are whole fragments
	Sequence uint32 `json:"sequence"` // the next fragment's sequence number
	Origin   int64  `json:"origin"`   // the run's first decode time, 90 kHz: the MP4's zero
	Codecs   string `json:"codecs"`   // what the init describes, to tell whether a source fits it
}

// mp4Writer appends a recording's fragments to its MP4.
type mp4Writer struct {
	file      string
	stateFile string
	state     mp4State
	// set when the current source does not fit the file's init (another
	// codec configuration): the MP4 then stops growing and is made at the
	// end from the playlist instead.
	broken bool

	tracks  media.Tracks
	ids     []int // the MP4 track id of each media track, 0 for one not carried
	scales  []uint32
	pending []*pendingSample // by media track: the sample whose duration is not known yet, or nil
	queued  [][]*fmp4.Sample // by media track: samples of the fragment being gathered
	bases   []uint64         // by media track: the fragment's first decode time
	start   time.Duration    // the fragment's first unit
	started bool
	buf     seekablebuffer.Buffer // a fragment being marshaled, reused
}

type pendingSample struct {
	dts    int64 // in the track's timescale
	sample *fmp4.Sample
}

func openMP4(file, stateFile string) (*mp4Writer, error) {
	w := &mp4Writer{file: file, stateFile: stateFile, state: mp4State{Sequence: 1}}
	b, err := os.ReadFile(stateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return w, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &w.state); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(stateFile), err)
	}
	// What a process that died wrote after the last whole fragment goes.
	if err := os.Truncate(file, w.state.Complete); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return w, nil
}

// describe is a source's tracks as the init describes them.
func describe(tracks media.Tracks) string {
	b, _ := json.Marshal(tracks)
	return string(b)
}

// begin starts a source: the file gets its init at the first source; a later
// source must fit that init, or the MP4 stops growing.
func (w *mp4Writer) begin(tracks media.Tracks) error {
	w.flushPending()
	if w.broken {
		return nil
	}
	desc := describe(tracks)
	if w.state.Codecs != "" && w.state.Codecs != desc {
		w.broken = true
		return nil
	}
	w.tracks = tracks
	w.ids, w.scales = make([]int, len(tracks)), make([]uint32, len(tracks))
	w.pending, w.queued, w.bases = make([]*pendingSample, len(tracks)), make([][]*fmp4.Sample, len(tracks)), make([]uint64, len(tracks))
	init := fmp4.Init{}
	for i, t := range tracks {
		c := media.MP4Codec(t.Codec)
		if c == nil {
			continue
		}
		scale := uint32(videoScale)
		if a, ok := t.Codec.(*media.AAC); ok {
			scale = uint32(a.Config.SampleRate)
		}
		w.ids[i], w.scales[i] = len(init.Tracks)+1, scale
		init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: w.ids[i], TimeScale: scale, Codec: c})
	}
	if w.state.Codecs != "" {
		return nil // the file has its init
	}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(w.file, buf.Bytes(), 0o644); err != nil {
		return err
	}
	w.state.Codecs, w.state.Complete = desc, int64(buf.Len())
	return w.saveState()
}

// add takes one unit of the current source.
func (w *mp4Writer) add(u *media.Unit) error {
	if w.broken || w.tracks == nil || u.Track < 0 || u.Track >= len(w.ids) || w.ids[u.Track] == 0 {
		return nil
	}
	if w.state.Origin == 0 {
		w.state.Origin = media.TSTicks(u.DTS)
	}
	video := media.IsVideo(w.tracks[u.Track].Codec)
	cut := u.Key(w.tracks.Video())
	if !w.started && !cut {
		return nil // the first fragment starts at a keyframe
	}
	scale := int64(w.scales[u.Track])
	dts := media.TSTicks(u.DTS)*scale/videoScale - w.state.Origin*scale/videoScale
	// The sample before this one of its track now has its duration.
	if prev := w.pending[u.Track]; prev != nil {
		prev.sample.Duration = uint32(max(dts-prev.dts, 0))
		w.queue(u.Track, prev)
		w.pending[u.Track] = nil
	}
	if w.started && cut && u.DTS-w.start >= fragmentMin {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if !w.started {
		w.started, w.start = true, u.DTS
	}
	var s *fmp4.Sample
	var err error
	ptsOffset := int32((u.PTS - u.DTS) * time.Duration(scale) / time.Second)
	switch w.tracks[u.Track].Codec.(type) {
	case *media.H264:
		s, err = fmp4.NewSampleH264(ptsOffset, u.AU)
	case *media.H265:
		s, err = fmp4.NewSampleH265(ptsOffset, u.AU)
	case *media.AAC:
		s = &fmp4.Sample{Payload: u.AU[0]}
	}
	if err != nil {
		return err
	}
	s.IsNonSyncSample = video && !u.Random
	w.pending[u.Track] = &pendingSample{dts: dts, sample: s}
	return nil
}

// queue puts a sample whose duration is known into the fragment.
func (w *mp4Writer) queue(track int, p *pendingSample) {
	if len(w.queued[track]) == 0 {
		w.bases[track] = uint64(max(p.dts, 0))
	}
	w.queued[track] = append(w.queued[track], p.sample)
}

// flush appends the fragment gathered so far to the file.
func (w *mp4Writer) flush() error {
	part := fmp4.Part{SequenceNumber: w.state.Sequence}
	for i, q := range w.queued {
		if len(q) > 0 {
			part.Tracks = append(part.Tracks, &fmp4.PartTrack{ID: w.ids[i], BaseTime: w.bases[i], Samples: q})
		}
		w.queued[i] = nil
	}
	if len(part.Tracks) == 0 {
		return nil
	}
	buf := &w.buf
	buf.Reset()
	if err := part.Marshal(buf); err != nil {
		return err
	}
	f, err := os.OpenFile(w.file, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	w.state.Complete += int64(buf.Len())
	w.state.Sequence++
	w.started = false
	return w.saveState()
}

// flushPending ends a source: its last samples take the mean duration of
// their track's others, and go out with the fragment.
func (w *mp4Writer) flushPending() {
	if w.broken || w.tracks == nil {
		return
	}
	for i, last := range w.pending {
		if last == nil {
			continue
		}
		if q := w.queued[i]; len(q) > 0 {
			var total uint64
			for _, s := range q {
				total += uint64(s.Duration)
			}
			last.sample.Duration = uint32(total / uint64(len(q)))
		}
		w.queue(i, last)
		w.pending[i] = nil
	}
	if err := w.flush(); err != nil {
		w.broken = true // the playlist still has it all: the MP4 is made from it at the end
	}
	w.tracks = nil
}

func (w *mp4Writer) saveState() error {
	b, _ := json.Marshal(w.state)
	return clip.WriteFile(filepath.Dir(w.stateFile), filepath.Base(w.stateFile), b)
}

// complete reports whether the MP4 holds the whole recording: it got every
// source, and at least one fragment.
func (w *mp4Writer) complete() bool {
	return !w.broken && w.state.Sequence > 1
}
