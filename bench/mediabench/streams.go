package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"onair/bench/internal/benchkit"
	"onair/internal/testutil/nginxrtmp"
)

// passthroughSegment is the segment length of onair's rtmp-passthrough
// blueprint, which nginx-rtmp is given too.
const passthroughSegment = 6

// stream is one publisher's way in and the playlist its HLS is listed in (a
// master playlist for onair, whose first variant is followed).
type stream struct{ ingest, playlist string }

// target is a server under test set up with passthrough streams.
type target interface {
	pid() int
	close()
}

// setup starts a server with n passthrough streams ready for publishers.
type setup struct {
	name  string
	start func(o options, n int) (target, []stream, error)
}

var (
	onairSetup = setup{"onair", func(o options, n int) (target, []stream, error) {
		return startOnairPassthrough(o, n, nil, nil)
	}}
	// onairNoArchive is the same without the blueprint's archive, which
	// nginx-rtmp's hls does not make either.
	onairNoArchive = setup{"onair -arch", func(o options, n int) (target, []stream, error) {
		return startOnairPassthrough(o, n, map[string]any{"createArchives": false}, nil)
	}}
	// onairTSOnly makes what nginx-rtmp's hls makes and nothing else: the
	// TS output, without the CMAF LL-HLS one and the archive.
	onairTSOnly = setup{"onair TS", func(o options, n int) (target, []stream, error) {
		return startOnairPassthrough(o, n, map[string]any{"createArchives": false}, tsOnly)
	}}
	nginxSetup = setup{"nginx-rtmp", startNginxPassthrough}
)

// tsOnly keeps, of a blueprint's output groups, its origin HLS output with
// TS segments.
func tsOnly(bp map[string]any) {
	settings, _ := bp["settings"].(map[string]any)
	groups, _ := settings["outputGroups"].([]any)
	var kept []any
	for _, g := range groups {
		g, _ := g.(map[string]any)
		hls, _ := g["hls"].(map[string]any)
		if format, _ := hls["format"].(string); g["type"] == "HLS" && g["destinationId"] == nil && (format == "" || format == "TS") {
			kept = append(kept, g)
		}
	}
	settings["outputGroups"] = kept
}

type onairTarget struct {
	dir string
	srv *benchkit.Server
	ids []string
}

func (t *onairTarget) pid() int { return t.srv.PID() }

func (t *onairTarget) close() {
	if len(t.ids) > 0 {
		t.srv.Client.StopAll(t.ids)
	}
	t.srv.Stop()
	os.RemoveAll(t.dir)
}

// startOnairPassthrough starts a fresh onair with n channels of the built-in
// rtmp-passthrough blueprint, RUNNING; fields go into each workflow, and
// edit, when set, changes the blueprint first.
func startOnairPassthrough(o options, n int, fields map[string]any, edit func(bp map[string]any)) (target, []stream, error) {
	t, err := startOnair(o, "passthrough")
	if err != nil {
		return nil, nil, err
	}
	bp, err := t.srv.Client.Blueprint("rtmp-passthrough")
	if err == nil && edit != nil {
		var m map[string]any
		if err = json.Unmarshal(bp, &m); err == nil {
			edit(m)
			bp, err = json.Marshal(m)
		}
	}
	if err == nil {
		t.ids, err = t.srv.Client.CreateN(bp, fields, n)
	}
	var chans []benchkit.Channel
	if err == nil {
		chans, err = t.srv.Client.StartAll(t.ids)
	}
	if err != nil {
		t.close()
		return nil, nil, err
	}
	streams := make([]stream, n)
	for i, ch := range chans {
		streams[i] = stream{ingest: ch.Ingest(), playlist: t.srv.LocalPath(ch.Playback())}
	}
	return t, streams, nil
}

// startOnair starts a fresh onair in a directory of its own.
func startOnair(o options, name string) (*onairTarget, error) {
	dir, err := tempDir(name)
	if err != nil {
		return nil, err
	}
	srv, err := benchkit.StartServer(o.onair, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &onairTarget{dir: dir, srv: srv}, nil
}

type nginxTarget struct {
	dir string
	ng  *nginxrtmp.Server
}

func (t *nginxTarget) pid() int { return t.ng.PID() }

func (t *nginxTarget) close() {
	t.ng.Stop()
	os.RemoveAll(t.dir)
}

// startNginxPassthrough starts a fresh nginx-rtmp; its streams are any keys.
func startNginxPassthrough(o options, n int) (target, []stream, error) {
	dir, err := tempDir("nginx")
	if err != nil {
		return nil, nil, err
	}
	ng, err := startNginx(o, dir, passthroughSegment)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	streams := make([]stream, n)
	for i := range streams {
		key := "s" + strconv.Itoa(i)
		streams[i] = stream{ingest: ng.URL(key), playlist: ng.Playlist(key)}
	}
	return &nginxTarget{dir: dir, ng: ng}, streams, nil
}

// measured is what one publishing of n streams to a target showed.
type measured struct {
	use    benchkit.Usage
	wall   time.Duration
	t0     []time.Time            // when each publisher started
	listed []map[string]time.Time // when each stream's segments were listed; nil unless watched
}

// stagger is how far apart the publishers of a run start.
const stagger = 20 * time.Millisecond

// publish sends seconds of the source to every stream at once and measures the
// target's process tree from the first publisher's start to the last one's
// exit. With watch, it also times the listing of every segment. during, when
// set, runs meanwhile with the tree's process ids.
func publish(t target, streams []stream, src source, seconds int, watch bool, during func(pids []int) error) (measured, error) {
	urls := make([]string, len(streams))
	playlists := make([]string, len(streams))
	for i, s := range streams {
		urls[i], playlists[i] = s.ingest, s.playlist
	}
	sampler, err := benchkit.Begin(t.pid(), 250*time.Millisecond)
	if err != nil {
		return measured{}, err
	}
	start := time.Now()
	t0, done, errs := src.publishAll(urls, seconds, stagger)
	watched := make(chan []map[string]time.Time, 1)
	if watch {
		go func() { watched <- benchkit.Watch(playlists, 50*time.Millisecond, done) }()
	}
	duringErr := make(chan error, 1)
	if during != nil {
		go func() {
			tree, err := benchkit.ReadTree(t.pid())
			if err == nil {
				err = during(tree.PIDs)
			}
			duringErr <- err
		}()
	}
	<-done
	m := measured{wall: time.Since(start), t0: t0}
	m.use, err = sampler.End()
	if watch {
		m.listed = <-watched
	}
	if during != nil {
		err = errors.Join(err, <-duringErr)
	}
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return m, err
}

// segmentCounts waits a moment for the last segments, then counts the
// segments listed for each stream; a stream with none is an error.
func segmentCounts(streams []stream) (least int, err error) {
	time.Sleep(2 * time.Second)
	least = -1
	for i, s := range streams {
		media, _ := benchkit.MediaPlaylist(s.playlist)
		n := len(benchkit.Segments(media))
		if n == 0 {
			return 0, fmt.Errorf("stream %d: no segment listed in %s", i, s.playlist)
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return least, nil
}
