package playout

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/cmafx"
	"onair/internal/domain"
	"onair/internal/origin"
	"onair/internal/pipeline"
	"onair/internal/storage"
)

// The origin side: /playout/<manifest>.isml/<what>, where <what> is
//
//	.m3u8, <any>.m3u8          the HLS multivariant playlist
//	.mpd, <any>.mpd            the DASH MPD
//	<p>/<kind>/<r>.m3u8        an HLS media playlist of one track of rendition r
//	<p>/<kind>/<r>/<file>      its init section or a segment, of that track alone
//	ts/<r>/<file>              an MPEG-TS rendition's playlist and segments, as the packager wrote them
//
// <p> is clear, or the format and scheme of an encrypted track (dash-cenc,
// hls-cbcs), so that what is encrypted once for a profile is cached (and
// cacheable) apart from what is not.

// Content types and cache lifetimes, as the origin's.
const (
	typeM3U8     = "application/vnd.apple.mpegurl"
	typeMPD      = "application/dash+xml"
	typeMP4      = "video/mp4"
	typeSegment  = "video/iso.segment"
	cacheLive    = "no-cache"
	cacheForever = "public, max-age=31536000, immutable"
)

// lookupTTL is how long a manifest's row and its event are reused between
// requests: a player asks for playlists and segments several times a
// second, and a state change (a stop, INSTANT_VOD) shows within this. A
// sync on this node shows at once (forget).
const lookupTTL = 250 * time.Millisecond

// view is what one request serves from: the manifest, its profile's
// configuration as synced, and the event now.
type view struct {
	manifest domain.PlayoutManifest
	config   domain.PlayoutConfig
	channel  domain.Channel
	state    domain.EventState
	base     string // the manifest's path with a trailing slash
}

type cached struct {
	v    *view
	err  error
	when time.Time
}

// ServeHTTP serves the playout manifests and what they list.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !origin.Readable(w, r) {
		return
	}
	h := w.Header()
	i := strings.Index(r.URL.Path, ".isml/")
	if i < 0 || path.Clean(r.URL.Path) != strings.TrimSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	manifest, what := r.URL.Path[:i+len(".isml")], r.URL.Path[i+len(".isml/"):]
	v, err := s.view(r.Context(), manifest)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, ctype, cache, err := s.serve(r.Context(), v, what, r.URL.Query().Get("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNotServed) || errors.Is(err, os.ErrNotExist) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, domain.ErrNotFound) {
		s.cfg.Log.Debug("playout: not served", "path", r.URL.Path, "err", err)
		http.NotFound(w, r)
		return
	}
	id := rand.Text()[:10]
	s.cfg.Log.Error("playout: serving", "path", r.URL.Path, "err", err, "error_id", id)
	http.Error(w, "this could not be made; the server log has the details under error_id="+id, http.StatusInternalServerError)
}

// view finds the manifest at a path and its event, through a short cache.
func (s *Service) view(ctx context.Context, manifest string) (*view, error) {
	s.views.Lock()
	c, ok := s.viewCache[manifest]
	s.views.Unlock()
	if ok && s.cfg.Now().Sub(c.when) < lookupTTL {
		return c.v, c.err
	}
	v, err := s.load(ctx, manifest)
	s.views.Lock()
	if len(s.viewCache) > 4096 {
		s.viewCache = map[string]cached{}
	}
	s.viewCache[manifest] = cached{v: v, err: err, when: s.cfg.Now()}
	s.views.Unlock()
	return v, err
}

// forget drops what the cache holds of a manifest: this node's answers
// follow its own syncs at once (another node's, within lookupTTL).
func (s *Service) forget(manifest string) {
	s.views.Lock()
	delete(s.viewCache, manifest)
	s.views.Unlock()
}

func (s *Service) load(ctx context.Context, manifest string) (*view, error) {
	m, found, err := s.cfg.Store.PlayoutManifest(ctx, manifest)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNotServed
	}
	cfg, err := domain.ParsePlayoutConfig(m.ConfigurationJSON)
	if err != nil {
		return nil, err
	}
	ch, err := s.cfg.Store.GetChannel(ctx, m.OrgID, m.WorkflowID)
	if err != nil {
		return nil, err
	}
	return &view{manifest: m, config: cfg, channel: ch, state: s.State(ch), base: manifest + "/"}, nil
}

// serve makes what a request asks for.
func (s *Service) serve(ctx context.Context, v *view, what, token string) (body []byte, ctype, cache string, err error) {
	live, archive := v.state.Serves()
	if !live && !archive {
		return nil, "", "", errNotServed // LIVE_UNPUBLISHED, INSTANT_VOD_BACKUP
	}
	rends, err := s.renditions(v, archive)
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", v.state, err)
	}
	opts := v.config.Options
	parts := strings.Split(what, "/")
	switch {
	case len(parts) == 1 && strings.HasSuffix(what, ".m3u8") && !opts.HLSDisabled:
		b, err := s.master(v, rends)
		return b, typeM3U8, cacheLive, err
	case len(parts) == 1 && strings.HasSuffix(what, ".mpd") && !opts.DASHDisabled:
		b, err := s.mpd(ctx, v, rends, token)
		return b, typeMPD, cacheLive, err
	case len(parts) >= 3 && parts[0] == "ts" && !opts.HLSDisabled:
		return s.tsFile(v, rends, parts[1], strings.Join(parts[2:], "/"))
	case len(parts) == 3 && strings.HasSuffix(parts[2], ".m3u8") && !opts.HLSDisabled:
		t, err := s.track(ctx, v, rends, parts[0], parts[1], strings.TrimSuffix(parts[2], ".m3u8"))
		if err != nil {
			return nil, "", "", err
		}
		b, err := s.mediaPlaylist(t)
		return b, typeM3U8, cacheLive, err
	case len(parts) == 4:
		t, err := s.track(ctx, v, rends, parts[0], parts[1], parts[2])
		if err != nil {
			return nil, "", "", err
		}
		b, init, err := s.trackFile(t, parts[3])
		if err != nil {
			return nil, "", "", err
		}
		if init {
			return b, typeMP4, cacheForever, nil
		}
		return b, typeSegment, cacheForever, nil
	}
	return nil, "", "", errNotServed
}

// renditions are the renditions the event serves now, those the
// profile's video criteria keep, best first.
func (s *Service) renditions(v *view, archive bool) ([]*rendition, error) {
	wf := v.channel.Workflow
	spec := pipeline.SpecFor(&wf, runOf(v.channel), 0)
	var rends []*rendition
	if archive {
		r, err := s.archiveRendition(v.channel)
		if err != nil {
			return nil, err
		}
		rends = []*rendition{r}
	} else {
		var out *pipeline.LiveOutput
		for i, o := range spec.Live {
			if o.Push {
				continue
			}
			if out == nil || o.Format == domain.FormatCMAF {
				out = &spec.Live[i]
			}
		}
		if out == nil {
			return nil, errNotServed
		}
		var err error
		if rends, err = liveRenditions(s.cfg.DataDir, *out); err != nil {
			return nil, err
		}
		window := out.Window
		if d := time.Duration(v.config.Options.DVRWindowSeconds) * time.Second; d > 0 && d < window {
			window = d
		}
		if v.config.Options.DVRWindowSeconds > 0 && v.config.Options.DVRWindowSeconds <= domain.NoDVRSeconds {
			window = 3 * out.Segment
		}
		// Named after the run too: another run of the workflow (a Streams
		// API session) starts its segments over under the same names, and
		// what the URLs serve is cached as immutable.
		run := runOf(v.channel).ID
		for _, r := range rends {
			r.dvr, r.name, r.id = window, r.name+"-"+short(run), r.id+"@"+run
		}
	}
	rends = slices.DeleteFunc(rends, func(r *rendition) bool { return !v.config.Keeps(videoTrack(r)) })
	slices.SortStableFunc(rends, func(a, b *rendition) int { return b.info.Bandwidth - a.info.Bandwidth })
	return rends, nil
}

// videoTrack is what a profile's video criteria see of a rendition.
func videoTrack(r *rendition) domain.PlayoutTrack {
	return domain.PlayoutTrack{Kind: domain.TrackVideo, Width: r.info.Width, Height: r.info.Height,
		Bitrate: r.info.Bandwidth, Codec: codecOf(r.info.Codecs, domain.TrackVideo)}
}

// codecOf picks the codec of a kind out of a CODECS list.
func codecOf(codecs, kind string) string {
	for _, c := range strings.Split(codecs, ",") {
		audio := strings.HasPrefix(c, "mp4a") || strings.HasPrefix(c, "ac-3") || strings.HasPrefix(c, "ec-3") || strings.HasPrefix(c, "opus")
		if audio == (kind == domain.TrackAudio) {
			return c
		}
	}
	return ""
}

// archive is the archive INSTANT_VOD serves: the first of pipeline 0 that
// recorded media, and whether its MP4 is where the origin serves it from.
func (s *Service) archive(ch domain.Channel) (domain.Archive, bool) {
	for _, a := range ch.Run.Archives {
		if a.Pipeline != 0 || a.Playlist == "" || a.MP4 == "" {
			continue
		}
		// Only a file that is not there keeps it unserved: any other error
		// shows when it is served.
		_, err := s.cfg.Archives.Stat(context.Background(), path.Join(pipeline.ArchiveRoot, a.MP4))
		return a, !errors.Is(err, storage.ErrNotFound)
	}
	return domain.Archive{}, false
}

// archiveRendition is the archive's MP4 as one rendition, a segment per
// fragment, named after its run: another run of the workflow (a Streams
// API session) is another archive.
func (s *Service) archiveRendition(ch domain.Channel) (*rendition, error) {
	a, ok := s.archive(ch)
	if !ok {
		return nil, errNotServed
	}
	ix, err := s.archives.index(s.cfg.Archives, path.Join(pipeline.ArchiveRoot, a.MP4), s.archiveSegments)
	if err != nil {
		return nil, err
	}
	r := *ix.rend
	r.name = "archive-" + short(ch.Run.ID)
	return &r, nil
}

// archiveSegments lays an archive's fragments out as a rendition's
// segments, with the codecs, picture and peak rate of the master.
func (s *Service) archiveSegments(ix *archiveIndex) (*rendition, error) {
	r := &rendition{id: ix.file, ended: true, vod: true, read: ix.read}
	init, err := ix.read("init.mp4")
	if err != nil {
		return nil, err
	}
	tracks, err := cmafx.Tracks(init)
	if err != nil {
		return nil, err
	}
	lead := tracks[0]
	var codecs []string
	for _, t := range tracks {
		codecs = append(codecs, t.Codec)
		if t.Kind == domain.TrackVideo {
			lead = t
			r.info.Width, r.info.Height = t.Width, t.Height
		}
	}
	r.info.Codecs = strings.Join(codecs, ",")
	for i, f := range ix.frags {
		name := segName(i)
		_, dur, err := s.timing(r.id+"/"+name, init, func() ([]byte, error) { return ix.read(name) }, lead.ID)
		if err != nil {
			return nil, err
		}
		d := time.Duration(float64(dur) / float64(lead.Timescale) * float64(time.Second))
		r.segments = append(r.segments, segment{name: name, init: "init.mp4", dur: d})
		r.target = max(r.target, int((d+time.Second-1)/time.Second))
		if d > 0 {
			r.info.Bandwidth = max(r.info.Bandwidth, int(float64(f[1]*8)/d.Seconds()))
		}
	}
	return r, nil
}

func segName(i int) string { return strconv.Itoa(i) + ".m4s" }

// short is the start of a run id, enough to tell a workflow's runs apart.
func short(id string) string { return id[:min(len(id), 8)] }

// timings caches each segment's timing of a track: segments never change.
type timings struct {
	mu sync.Mutex
	m  map[string][2]uint64
}

// timing is a segment's first decode time and duration in a track, read
// (with read, for the segment's bytes) only the first time: key names the
// segment on the server.
func (s *Service) timing(key string, init []byte, read func() ([]byte, error), id uint32) (start, dur uint64, err error) {
	k := key + "#" + strconv.Itoa(int(id))
	s.times.mu.Lock()
	t, ok := s.times.m[k]
	s.times.mu.Unlock()
	if ok {
		return t[0], t[1], nil
	}
	seg, err := read()
	if err != nil {
		return 0, 0, err
	}
	if start, dur, err = cmafx.Timing(init, seg, id); err != nil {
		return 0, 0, err
	}
	s.times.mu.Lock()
	if s.times.m == nil || len(s.times.m) > 1<<16 {
		s.times.m = map[string][2]uint64{}
	}
	s.times.m[k] = [2]uint64{start, dur}
	s.times.mu.Unlock()
	return start, dur, nil
}
