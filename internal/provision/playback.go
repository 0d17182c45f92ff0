package provision

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"onair/internal/domain"
	"onair/internal/pipeline"
)

// Playback serves a provision's playback paths through next (the origin),
// behind its georules:
//
//   - /live/<scope>/<stream>/master.m3u8 lists every variant that is live;
//     the variants it lists are under /live/<scope>/<stream>/<variant>/;
//   - /live/<scope>/<variant>/index.m3u8 plays one variant alone;
//   - without variants, /live/<scope>/<stream>/index.m3u8 plays the stream.
//
// What a path plays is what the provision's runs that are up make, each as
// it started: a provision updated while a run is live goes on playing it.
// A provision's runs keep its georules under their own directories too,
// /live/<workflow>/ and /archive/<workflow>/. Any other request goes to
// next as it is.
func (s *Service) Playback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root, first, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		first, _, _ = strings.Cut(first, "/")
		if r.Method == http.MethodOptions || first == "" || (root != pipeline.LiveRoot && root != pipeline.ArchiveRoot) {
			next.ServeHTTP(w, r)
			return
		}
		if root == pipeline.ArchiveRoot || s.isRunDir(first) {
			prov, found, err := s.provisionOf(r.Context(), first)
			if err != nil {
				s.unavailable(w, r, err)
				return
			}
			if !found || s.allowed(w, r, prov) {
				next.ServeHTTP(w, r)
			}
			return
		}
		scope, name, rest, ok := playbackPath(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		prov, found, err := s.Store.ProvisionByName(r.Context(), scope, name)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		if !s.allowed(w, r, prov) {
			return
		}
		runs, err := s.liveRuns(r.Context(), prov)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		if name == prov.Name && rest == pipeline.LivePlaylist && publishedApart(prov, runs) {
			s.serveMaster(w, r, prov, runs)
			return
		}
		target, ok := resolve(prov, runs, name, rest)
		if !ok {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + target
		r2.URL.RawPath = ""
		next.ServeHTTP(w, r2)
	})
}

// allowed applies a provision's georules to a viewer's request, answering
// 403 with the reason when they refuse it. A restricted stream's answers
// vary with the trusted header, so that a cache in front keeps one copy
// per country.
func (s *Service) allowed(w http.ResponseWriter, r *http.Request, prov domain.Provision) bool {
	g := prov.Meta.Georules
	if g == nil || !g.Restricted {
		return true
	}
	if h := s.Locator.Header(); h != "" {
		w.Header().Add("Vary", h)
	}
	ok, why := g.ViewerAllowed(s.Locator.Country(r))
	if !ok {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "no-store") // another viewer of the same URL may be allowed
		http.Error(w, why, http.StatusForbidden)
	}
	return ok
}

func (s *Service) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("looking up a provision for playback failed", "path", r.URL.Path, "err", err)
	http.Error(w, "the server could not look up this stream; try again", http.StatusServiceUnavailable)
}

// playbackPath cuts /live/<scope>/<name>/<rest>.
func playbackPath(p string) (scope, name, rest string, ok bool) {
	p, ok = strings.CutPrefix(p, "/"+pipeline.LiveRoot+"/")
	if !ok {
		return "", "", "", false
	}
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// isRunDir reports whether live/<first> is a workflow's live directory.
func (s *Service) isRunDir(first string) bool {
	st, err := os.Stat(filepath.Join(s.DataDir, pipeline.LiveRoot, filepath.FromSlash(path.Clean("/"+first))))
	return err == nil && st.IsDir()
}

// ownerTTL is how long Playback remembers which provision, if any, a
// workflow belongs to: that changes only when a provision's first publish
// makes a workflow, or the provision goes.
const ownerTTL = 10 * time.Second

type owner struct {
	scope, name string // "" when no provision
	at          time.Time
}

// provisionOf is the provision, as it is now, that a workflow is one of.
func (s *Service) provisionOf(ctx context.Context, workflowID string) (domain.Provision, bool, error) {
	now := s.Now()
	s.ownersMu.Lock()
	o, ok := s.owners[workflowID]
	s.ownersMu.Unlock()
	if !ok || now.Sub(o.at) > ownerTTL {
		p, found, err := s.Store.ProvisionOfWorkflow(ctx, workflowID)
		if err != nil {
			return p, false, err
		}
		o = owner{at: now}
		if found {
			o.scope, o.name = p.Scope, p.Name
		}
		s.ownersMu.Lock()
		if s.owners == nil || len(s.owners) > 10_000 {
			s.owners = map[string]owner{}
		}
		s.owners[workflowID] = o
		s.ownersMu.Unlock()
	}
	if o.name == "" {
		return domain.Provision{}, false, nil
	}
	p, found, err := s.Store.ProvisionByName(ctx, o.scope, o.name)
	if err != nil || !found || !slices.Contains(workflowIDs(p), workflowID) {
		// Deleted, or made again since: ask the store next time.
		s.ownersMu.Lock()
		delete(s.owners, workflowID)
		s.ownersMu.Unlock()
		if err == nil && found {
			return s.Store.ProvisionOfWorkflow(ctx, workflowID)
		}
		return domain.Provision{}, false, err
	}
	return p, true, nil
}

func workflowIDs(p domain.Provision) []string {
	out := make([]string, 0, len(p.Workflows))
	for _, id := range p.Workflows {
		out = append(out, id)
	}
	return out
}

// liveRun is one run of a provision that is up, with what it plays.
type liveRun struct {
	name        string // its publish name
	workflowID  string
	passthrough bool
	rungs       []string // a ladder's variants, its source's first
}

// runsTTL is how long Playback keeps what a provision's runs that are up
// play: a run's start or end shows that much later to viewers, and each
// request costs no store query for it.
const runsTTL = time.Second

type runsEntry struct {
	workflows string // the provision's workflows when read, to tell a change
	runs      []liveRun
	at        time.Time
}

// liveRuns are the provision's runs that are up, at most runsTTL old.
func (s *Service) liveRuns(ctx context.Context, prov domain.Provision) ([]liveRun, error) {
	key, workflows := prov.Path(), strings.Join(slices.Sorted(slices.Values(workflowIDs(prov))), ",")
	now := s.Now()
	s.runsMu.Lock()
	e, ok := s.runs[key]
	s.runsMu.Unlock()
	if ok && e.workflows == workflows && now.Sub(e.at) < runsTTL {
		return e.runs, nil
	}
	runs, err := s.readRuns(ctx, prov)
	if err != nil {
		return nil, err
	}
	s.runsMu.Lock()
	if s.runs == nil || len(s.runs) > 10_000 {
		s.runs = map[string]runsEntry{}
	}
	s.runs[key] = runsEntry{workflows: workflows, runs: runs, at: now}
	s.runsMu.Unlock()
	return runs, nil
}

// readRuns reads from the store the provision's runs that are up.
func (s *Service) readRuns(ctx context.Context, prov domain.Provision) ([]liveRun, error) {
	var out []liveRun
	for name, id := range prov.Workflows {
		wf, err := s.Store.GetWorkflow(ctx, prov.OrgID, id)
		if err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if !wf.Status.Active() {
			continue
		}
		ch := wf.Blueprint.Settings.Channel
		run := liveRun{name: name, workflowID: id, passthrough: ch.Passthrough}
		if ch.Source != "" {
			run.rungs = append(run.rungs, ch.Source)
		}
		for _, v := range ch.Video {
			run.rungs = append(run.rungs, v.Name)
		}
		out = append(out, run)
	}
	// In the ladder's order: by level, then by name for variants no longer in it.
	level := func(name string) int {
		for _, v := range prov.Meta.Stream {
			if v.Name == name {
				return v.Level
			}
		}
		return 1 << 30
	}
	slices.SortFunc(out, func(a, b liveRun) int {
		if d := level(a.name) - level(b.name); d != 0 {
			return d
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// publishedApart reports whether the stream's master is made here of runs
// of variants published apart: such runs are up, and no run of the stream's
// own is.
func publishedApart(prov domain.Provision, runs []liveRun) bool {
	apart := false
	for _, r := range runs {
		if r.name == prov.Name {
			return false
		}
		apart = apart || r.passthrough
	}
	return apart
}

// resolve is the file under the data directory that a provision's
// playback path names, in the runs that are up.
func resolve(prov domain.Provision, runs []liveRun, name, rest string) (string, bool) {
	for _, r := range runs {
		dir := pipeline.LiveDir(r.workflowID, domain.ClassSinglePipeline, 0)
		switch {
		case r.passthrough && name == r.name:
			return passthroughFile(dir, rest), true
		case r.passthrough && name == prov.Name && strings.HasPrefix(rest, r.name+"/"):
			// A variant published apart, as the made master lists it.
			return passthroughFile(dir, strings.TrimPrefix(rest, r.name+"/")), true
		case !r.passthrough && name == r.name:
			return path.Join(dir, rest), true // the ladder's master and rungs
		case !r.passthrough && slices.Contains(r.rungs, name):
			return path.Join(pipeline.VariantDir(dir, name), rest), true // one rung alone
		}
	}
	return "", false
}

// passthroughFile is a file of a passthrough run's live directory: its
// master, or its one variant's (the source's) playlist and segments.
func passthroughFile(dir, rest string) string {
	source := pipeline.VariantDir(dir, domain.RenditionSource)
	switch {
	case rest == pipeline.LivePlaylist:
		return path.Join(dir, rest)
	case strings.HasPrefix(rest, domain.RenditionSource+"/"):
		return path.Join(source, strings.TrimPrefix(rest, domain.RenditionSource+"/"))
	}
	return path.Join(source, rest)
}

// serveMaster writes the master playlist of variants published apart:
// each live variant's own entry, pointed at <variant>/.
func (s *Service) serveMaster(w http.ResponseWriter, r *http.Request, prov domain.Provision, runs []liveRun) {
	var b bytes.Buffer
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	live := 0
	for _, run := range runs {
		raw, err := os.ReadFile(filepath.Join(s.DataDir, filepath.FromSlash(pipeline.LiveDir(run.workflowID, domain.ClassSinglePipeline, 0)), pipeline.LivePlaylist))
		if err != nil {
			continue // not measured yet: no segment so far
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
				b.WriteString(line + "\n")
			case line != "" && !strings.HasPrefix(line, "#"):
				b.WriteString(run.name + "/" + strings.TrimPrefix(line, domain.RenditionSource+"/") + "\n")
				live++
			}
		}
	}
	if live == 0 {
		http.Error(w, "no variant of "+prov.Path()+" is live", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Type", "application/vnd.apple.mpegurl")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b.Bytes())
}
