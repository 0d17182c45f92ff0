package media

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

// Item is one thing a Reader reads: exactly one of its fields is set.
type Item struct {
	// Tracks: a source began (or changed its configuration); the units that
	// follow are under these tracks.
	Tracks Tracks
	// Unit is one access unit under the latest Tracks.
	Unit *Unit
	// Break: the source ended (its publisher left, its encoder died); what
	// comes next, if anything, starts after a discontinuity.
	Break bool
}

// HubOptions bound what a Hub keeps.
type HubOptions struct {
	// GOP keeps the current group of pictures, so that a reader that
	// subscribes while a source runs (a destination reconnecting) starts
	// with its keyframe at once. Without it, such a reader starts at the next
	// keyframe, and the hub keeps no media: a second of a 4 Mbit/s stream is
	// half a megabyte a hub would otherwise hold for readers that may never
	// come.
	GOP bool
	// GOPBytes bounds that cache (default 16 MiB). A GOP larger than it is
	// not cached.
	GOPBytes int
	// Hold makes the hub keep everything written, from the start, for the
	// readers that subscribe before Release: a stream accepted before its
	// consumers are up loses nothing. HoldBytes bounds it (default 64 MiB);
	// beyond it the oldest GOPs go.
	Hold      bool
	HoldBytes int
}

// ReaderQueue is the queue bound, in units, that a pipeline's readers
// subscribe with: a few seconds of a 60 fps stream and its audio. A reader
// that falls further behind loses units (counted) and resumes at the next
// keyframe.
const ReaderQueue = 1024

// Hub fans one stream out to its readers. Its source writes each item once;
// each reader reads them through its own bounded queue, so that a slow or
// dead reader never stalls the source nor the other readers: when its queue
// is full it loses units, counted, and then resumes at the next keyframe, so
// that it never sees a GOP with a hole. Tracks and breaks are never lost. It
// is safe for concurrent use.
type Hub struct {
	o HubOptions

	mu       sync.Mutex
	tracks   Tracks  // the current source's, nil before the first Begin
	video    int     // index of its video track, -1 for none
	gop      []*Unit // since the last keyframe of the current source (GOP)
	gopBytes int
	gopWhole bool // gop starts at a keyframe
	holding  bool
	held     []Item
	heldSize int
	readers  map[*Reader]struct{}
	observe  []func(Item)
	closed   bool
}

// NewHub returns a hub with o's bounds.
func NewHub(o HubOptions) *Hub {
	if o.GOPBytes <= 0 {
		o.GOPBytes = 16 << 20
	}
	if o.HoldBytes <= 0 {
		o.HoldBytes = 64 << 20
	}
	return &Hub{o: o, video: -1, holding: o.Hold, readers: map[*Reader]struct{}{}}
}

// Begin starts a source with its tracks.
func (h *Hub) Begin(tracks Tracks) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tracks, h.video = tracks, tracks.Video()
	h.gop, h.gopBytes, h.gopWhole = nil, 0, false
	h.emit(Item{Tracks: tracks})
}

// Write sends a unit of the current source to every reader.
func (h *Hub) Write(u *Unit) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tracks == nil {
		return // no source: nothing can read it
	}
	if h.o.GOP {
		h.cache(u)
	}
	h.emit(Item{Unit: u})
}

// cache keeps u in the current GOP; h.mu is held.
func (h *Hub) cache(u *Unit) {
	if u.Key(h.video) {
		h.gop, h.gopBytes, h.gopWhole = h.gop[:0:0], 0, true
	}
	if h.gopBytes += u.Size(); h.gopWhole && h.gopBytes <= h.o.GOPBytes {
		h.gop = append(h.gop, u)
	} else {
		h.gop, h.gopWhole = nil, false // too large to replay: a new reader waits for the next keyframe
	}
}

// End says the current source ended.
func (h *Hub) End() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tracks == nil {
		return
	}
	h.tracks, h.video = nil, -1
	h.gop, h.gopBytes, h.gopWhole = nil, 0, false
	h.emit(Item{Break: true})
}

// Observe has f called with every item written from now on, in the
// writer's goroutine and under the hub's lock: for what only looks at items
// as they pass (a meter), which must be quick and must not call the hub.
func (h *Hub) Observe(f func(Item)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.observe = append(h.observe, f)
}

// emit hands an item to every observer and reader, and to the hold; h.mu
// is held.
func (h *Hub) emit(it Item) {
	for _, f := range h.observe {
		f(it)
	}
	if h.holding {
		h.hold(it)
	}
	for r := range h.readers {
		r.push(it)
	}
}

// hold keeps an item until Release, dropping the oldest GOPs beyond the
// bound; h.mu is held.
func (h *Hub) hold(it Item) {
	h.held = append(h.held, it)
	if it.Unit != nil {
		h.heldSize += it.Unit.Size()
	}
	for h.heldSize > h.o.HoldBytes {
		// Drop what comes before the second keyframe held (the oldest GOP),
		// keeping the tracks it was under.
		cut, keys, video := -1, 0, -1
		var tracks Tracks
		for i, x := range h.held {
			if x.Tracks != nil {
				tracks, video = x.Tracks, x.Tracks.Video()
			}
			if x.Unit != nil && x.Unit.Key(video) {
				if keys++; keys == 2 {
					cut = i
					break
				}
			}
		}
		if cut < 0 {
			return // one GOP larger than the bound: nothing to cut at
		}
		for _, x := range h.held[:cut] {
			if x.Unit != nil {
				h.heldSize -= x.Unit.Size()
			}
		}
		h.held = append([]Item{{Tracks: tracks}}, h.held[cut:]...)
	}
}

// Release ends the hold: readers that subscribe from now on start with the
// current source's latest GOP.
func (h *Hub) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding, h.held, h.heldSize = false, nil, 0
}

// Subscribe adds a reader that queues up to maxUnits units. It starts with
// what was held (while the hub holds), or else with the current source's
// tracks and its latest GOP (HubOptions.GOP) or its next keyframe, so that
// it can decode from its first unit.
func (h *Hub) Subscribe(name string, maxUnits int) *Reader {
	r := &Reader{hub: h, name: name, max: max(maxUnits, 1), video: -1, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		r.closed = true
		return r
	}
	switch {
	case h.holding:
		for _, it := range h.held {
			r.push(it)
		}
	case h.tracks != nil:
		r.push(Item{Tracks: h.tracks})
		for _, u := range h.gop {
			r.push(Item{Unit: u})
		}
		r.waitKey = len(h.gop) == 0
	}
	h.readers[r] = struct{}{}
	return r
}

// Close ends the hub: its readers read what they have queued, then io.EOF.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for r := range h.readers {
		r.end()
	}
	h.readers = map[*Reader]struct{}{}
}

// ReaderStats is what a reader of a hub lost.
type ReaderStats struct {
	Name    string
	Dropped uint64 // units dropped because its queue was full
}

// Stats lists the hub's readers.
func (h *Hub) Stats() []ReaderStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]ReaderStats, 0, len(h.readers))
	for r := range h.readers {
		out = append(out, ReaderStats{Name: r.name, Dropped: r.dropped.Load()})
	}
	return out
}

// Reader reads a hub's items in order, through its own queue.
type Reader struct {
	hub     *Hub
	name    string
	max     int
	dropped atomic.Uint64
	notify  chan struct{}

	mu      sync.Mutex
	items   []Item
	head    int
	units   int  // units queued
	video   int  // the video track of the tracks last queued
	lost    bool // units were dropped: the next one queued is a keyframe
	waitKey bool // it came in mid-GOP: the next one queued is a keyframe
	quiet   int  // units queued since the reader was last woken
	closed  bool
}

// quietUnits is how many units of a track other than the video may be queued
// without waking the reader: audio frames come half again as often as video
// ones, and a reader woken for each would cost a scheduler round trip per
// frame for nothing, as the next video frame comes within a frame's time.
// The bound keeps a stream whose video stopped flowing.
const quietUnits = 8

// push queues an item; the hub's mutex is held.
func (r *Reader) push(it Item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	switch {
	case it.Tracks != nil:
		r.video = it.Tracks.Video()
	case it.Unit != nil:
		if r.waitKey {
			if !it.Unit.Key(r.video) {
				return
			}
			r.waitKey = false
		}
		if r.lost && !it.Unit.Key(r.video) {
			r.dropped.Add(1)
			return
		}
		if r.units >= r.max {
			r.dropped.Add(1)
			r.lost = true
			return
		}
		r.lost = false
		r.units++
		if r.video >= 0 && it.Unit.Track != r.video && r.quiet < quietUnits {
			r.items = append(r.items, it)
			r.quiet++
			return
		}
	}
	r.items = append(r.items, it)
	r.quiet = 0
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// end marks the reader ended, once what it queued is read.
func (r *Reader) end() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Next returns the next item, waiting for one; io.EOF once the reader or
// its hub is closed and its queue read, or ctx's error.
func (r *Reader) Next(ctx context.Context) (Item, error) {
	for {
		r.mu.Lock()
		if r.head < len(r.items) {
			it := r.items[r.head]
			r.items[r.head] = Item{}
			r.head++
			if it.Unit != nil {
				r.units--
			}
			if r.head > 64 && r.head*2 > len(r.items) {
				r.items = append(r.items[:0], r.items[r.head:]...)
				r.head = 0
			}
			r.mu.Unlock()
			return it, nil
		}
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return Item{}, io.EOF
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			return Item{}, ctx.Err()
		}
	}
}

// Queued tells whether an item waits to be read: a reader that writes what
// it reads through a buffer flushes it once it has caught up.
func (r *Reader) Queued() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.head < len(r.items)
}

// Dropped is how many units the reader lost because its queue was full.
func (r *Reader) Dropped() uint64 { return r.dropped.Load() }

// Name is the reader's name, for metrics and logs.
func (r *Reader) Name() string { return r.name }

// Close unsubscribes the reader; Next returns what is queued, then io.EOF.
func (r *Reader) Close() {
	r.hub.mu.Lock()
	delete(r.hub.readers, r)
	r.hub.mu.Unlock()
	r.end()
}
