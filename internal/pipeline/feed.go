package pipeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/flv"
)

// frameGap is how far after the last tag a new publisher session starts: one
// frame at 30 fps.
const frameGap = 33

// maxHold bounds what a Feed holds before its Supervisor is attached: about a
// minute of an 8 Mbit/s stream. Beyond it the oldest GOPs go.
const maxHold = 64 << 20

// Feed sits between the ingest and a Supervisor and owns the FLV stream that
// ffmpeg reads, across ffmpeg restarts and publisher reconnects: each instance
// gets a stream that starts cleanly (header, metadata, sequence headers, a
// keyframe) and whose timestamps never go back. Until a Supervisor is
// attached it holds what it is given, so that a publisher can be accepted
// before its pipeline is up and lose nothing. It is safe for concurrent use.
type Feed struct {
	received atomic.Bool

	mu sync.Mutex
	s  *Supervisor // nil until Attach
	// Held until Attach: tags with their timestamps rebased.
	held      []heldTag
	heldBytes int
	// The publisher session.
	rebase             bool  // the next tag sets offset
	offset             int64 // added to the session's timestamps
	floor              int64 // no timestamp of the session goes below it
	last               int64 // the latest audio/video timestamp, rebased
	hasLast            bool
	waitKey            bool               // media is dropped until the next keyframe
	cache              [cacheKinds][]byte // the session's latest onMetaData and sequence headers
	sawAudio, sawVideo bool               // in this session
	// The instance being fed.
	inst   *instance
	open   bool               // its FLV header and preamble are written
	broken bool               // a write to it failed: its stream is cut, nothing more goes to it
	sent   [cacheKinds][]byte // the metadata and sequence headers it has
	w      *flv.Writer        // into buf, with the header of this instance
	buf    bytes.Buffer
}

// kind is what a tag is to the Feed.
type kind int

const (
	kindMeta kind = iota
	kindVideoSeq
	kindAudioSeq
	kindVideo
	kindAudio
	kindScript // script data other than onMetaData
	kindOther
)

// cacheKinds counts the kinds the Feed caches, the first three: they index Feed.cache.
const cacheKinds = 3

type heldTag struct {
	tag  flv.Tag
	kind kind
}

// NewFeed returns a Feed that holds what it is written until Attach.
func NewFeed() *Feed {
	return &Feed{rebase: true}
}

// Attach makes the Feed write into s's instances from now on, starting with
// what it held, in order. A Feed is attached once.
func (f *Feed) Attach(s *Supervisor) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.s = s
	held := f.held
	f.held, f.heldBytes = nil, 0
	for _, h := range held {
		if err := f.send(h.tag, h.kind); errors.Is(err, ErrNotReady) {
			return // the instance went as it started: the next one starts afresh
		}
	}
}

// Begin starts a publisher session. Its timestamps are rebased so that the
// stream ffmpeg sees never goes back: its first tag comes one frame (33 ms)
// after the last tag written. Media is dropped until its first keyframe, and
// the metadata and sequence headers cached are the new session's.
func (f *Feed) Begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rebase = true
	f.waitKey = true
	f.cache = [cacheKinds][]byte{}
	f.sawAudio, f.sawVideo = false, false
}

// Continue makes the stream go on after a timeline an earlier Feed fed (that
// of a run resumed after a restart): the next publisher session starts one
// frame after end, so that no timestamp goes back in the run's playlists.
func (f *Feed) Continue(end time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ms := end.Milliseconds(); !f.hasLast || ms > f.last {
		f.last, f.hasLast = ms, true
	}
	f.rebase = true
}

// End records that the publisher left. Whatever is written next continues
// after the last tag, as after Begin.
func (f *Feed) End() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rebase = true
}

// Received reports whether any media (audio or video beyond sequence headers)
// ever arrived; a run without any has an empty archive.
func (f *Feed) Received() bool { return f.received.Load() }

// WriteTag writes one tag to the current instance. It caches the latest
// onMetaData and the AVC/AAC sequence headers (copies: t.Data is not retained);
// when a new instance is up, the Feed first writes it a fresh FLV header, the
// cached metadata and sequence headers, and drops video and audio until the
// next keyframe. Repeats of the metadata or sequence headers the instance has
// are not sent again. Before Attach the tag is held, and nil returned. An
// error wrapping ErrNotReady means the tag did not reach an ffmpeg (none up,
// or it died or hung during the write): it is dropped, and the next instance
// starts afresh; tags dropped while waiting for a keyframe return nil. Any
// other error is a tag FLV cannot carry.
func (f *Feed) WriteTag(t flv.Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Type == flv.TagScript {
		t.Data = stripSetDataFrame(t.Data)
	}
	k := kindOf(t)
	if k == kindOther {
		return nil
	}
	t.Timestamp = f.timestamp(t, k)
	f.remember(t, k)
	if f.s == nil {
		f.hold(t, k)
		return nil
	}
	return f.send(t, k)
}

// hold keeps a tag until Attach, dropping the oldest GOPs beyond maxHold.
func (f *Feed) hold(t flv.Tag, k kind) {
	f.held = append(f.held, heldTag{t, k})
	f.heldBytes += len(t.Data)
	for f.heldBytes > maxHold && len(f.held) > 1 {
		cut := 1
		for cut < len(f.held) && !(f.held[cut].kind == kindVideo && flv.IsKeyframe(f.held[cut].tag)) {
			cut++
		}
		if cut == len(f.held) {
			cut = len(f.held) / 2 // audio alone, or one huge GOP
		}
		for _, h := range f.held[:cut] {
			f.heldBytes -= len(h.tag.Data)
		}
		f.held = append(f.held[:0:0], f.held[cut:]...)
	}
}

// send writes one tag, its timestamp rebased, to the instance up; f.mu is held.
func (f *Feed) send(t flv.Tag, k kind) error {
	in := f.s.acquire()
	if in == nil {
		return ErrNotReady
	}
	if in != f.inst {
		f.inst, f.open, f.broken, f.w = in, false, false, nil
		f.sent = [cacheKinds][]byte{}
	}
	if f.broken {
		return ErrNotReady
	}
	defer f.buf.Reset()
	if !f.open {
		if !f.startsStream(t, k) {
			return nil
		}
		f.open, f.waitKey = true, false
		f.w = flv.NewWriter(&f.buf, f.hasAudio(), f.hasVideo())
		for c, data := range f.cache {
			if data != nil {
				typ := uint8(flv.TagScript)
				if kind(c) == kindVideoSeq {
					typ = flv.TagVideo
				} else if kind(c) == kindAudioSeq {
					typ = flv.TagAudio
				}
				if err := f.w.WriteTag(flv.Tag{Type: typ, Timestamp: t.Timestamp, Data: data}); err != nil {
					return err
				}
				f.sent[c] = data
			}
		}
	} else {
		switch k {
		case kindMeta, kindVideoSeq, kindAudioSeq:
			if bytes.Equal(f.sent[k], t.Data) {
				return nil
			}
			f.sent[k] = f.cache[k]
		case kindVideo:
			if f.waitKey && !flv.IsKeyframe(t) {
				return nil
			}
			f.waitKey = false
		case kindAudio:
			if f.waitKey && f.hasVideo() {
				return nil
			}
		}
	}
	if err := f.w.WriteTag(t); err != nil {
		return err
	}
	if _, err := in.write(f.buf.Bytes()); err != nil {
		f.broken = true
		return err
	}
	return nil
}

// timestamp returns the tag's timestamp on the stream ffmpeg sees.
func (f *Feed) timestamp(t flv.Tag, k kind) uint32 {
	ts := int64(t.Timestamp)
	if f.rebase {
		f.rebase = false
		f.offset, f.floor = 0, 0
		if f.hasLast {
			f.floor = f.last + frameGap
			f.offset = f.floor - ts
		}
	}
	ts = max(ts+f.offset, f.floor)
	if k == kindVideo || k == kindAudio || k == kindVideoSeq || k == kindAudioSeq {
		if !f.hasLast || ts > f.last {
			f.last, f.hasLast = ts, true
		}
	}
	return uint32(ts)
}

func (f *Feed) remember(t flv.Tag, k kind) {
	switch k {
	case kindVideo:
		f.sawVideo = true
		f.received.Store(true)
	case kindAudio:
		f.sawAudio = true
		f.received.Store(true)
	case kindMeta, kindVideoSeq, kindAudioSeq:
		f.cache[k] = bytes.Clone(t.Data)
	}
}

// startsStream reports whether an instance's stream can start at t: a video
// keyframe, or audio when there is no video.
func (f *Feed) startsStream(t flv.Tag, k kind) bool {
	return k == kindVideo && flv.IsKeyframe(t) || k == kindAudio && !f.hasVideo()
}

// hasVideo and hasAudio say which tracks the session has, for the FLV header:
// ffmpeg waits for every track the header announces before it starts.
func (f *Feed) hasVideo() bool {
	return f.sawVideo || f.cache[kindVideoSeq] != nil || metaHas(f.cache[kindMeta], "videocodecid")
}

func (f *Feed) hasAudio() bool {
	return f.sawAudio || f.cache[kindAudioSeq] != nil || metaHas(f.cache[kindMeta], "audiocodecid")
}

func kindOf(t flv.Tag) kind {
	switch t.Type {
	case flv.TagVideo:
		if flv.IsSequenceHeader(t) {
			return kindVideoSeq
		}
		return kindVideo
	case flv.TagAudio:
		if flv.IsSequenceHeader(t) {
			return kindAudioSeq
		}
		return kindAudio
	case flv.TagScript:
		if name, _ := amfString(t.Data); name == "onMetaData" {
			return kindMeta
		}
		return kindScript
	}
	return kindOther
}

// amfString reads the AMF0 string that starts script data (its name), and
// returns it with the length of its encoding.
func amfString(b []byte) (string, int) {
	if len(b) < 3 || b[0] != 0x02 {
		return "", 0
	}
	n := 3 + int(binary.BigEndian.Uint16(b[1:3]))
	if len(b) < n {
		return "", 0
	}
	return string(b[3:n]), n
}

// stripSetDataFrame turns RTMP's "@setDataFrame", "onMetaData", {...} into the
// "onMetaData", {...} that an FLV file holds and ffmpeg reads.
func stripSetDataFrame(b []byte) []byte {
	if name, n := amfString(b); name == "@setDataFrame" {
		return b[n:]
	}
	return b
}

// metaHas reports whether onMetaData has a property: its name as AMF0 encodes
// an object key, a 16-bit length then the bytes.
func metaHas(meta []byte, key string) bool {
	if meta == nil {
		return false
	}
	return bytes.Contains(meta, append([]byte{byte(len(key) >> 8), byte(len(key))}, key...))
}
