package playout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"onair/internal/cmafx"
	"onair/internal/domain"
)

// One track of one rendition, as a manifest lists it: split out of the
// rendition's segments (players want a track per representation) and, when
// the profile says so, encrypted. What is made is cached by profile, scheme,
// track and file: a segment is encrypted once per profile, never per viewer.

type format int

const (
	formatHLS format = iota
	formatDASH
)

// scheme names how a track's files are encrypted, in URLs.
type scheme string

const (
	schemeClear scheme = "clear"
	schemeNone  scheme = "" // the format is not served under the profile's DRM
)

// schemeOf is how the profile encrypts a format: HLS with FairPlay's cbcs
// when the profile has it, else CENC's (cbcs unless it says cenc); DASH with
// CENC's (cenc unless it says cbcs).
func schemeOf(c domain.PlayoutConfig, f format) scheme {
	if c.DRM == nil {
		return schemeClear
	}
	if f == formatHLS {
		if _, ok := c.DRM.Entry(domain.DRMFairPlay); ok {
			return domain.SchemeCBCS
		}
	}
	e, ok := c.DRM.Entry(domain.DRMCENC)
	switch {
	case !ok:
		return schemeNone
	case e.Scheme != "":
		return scheme(e.Scheme)
	case f == formatHLS:
		return domain.SchemeCBCS
	}
	return domain.SchemeCENC
}

// drmEntry is the drm_data entry whose key encrypts a format.
func drmEntry(c domain.PlayoutConfig, f format) domain.DRMEntry {
	if f == formatHLS {
		if e, ok := c.DRM.Entry(domain.DRMFairPlay); ok {
			return e
		}
	}
	e, _ := c.DRM.Entry(domain.DRMCENC)
	return e
}

// track is one track of a rendition, as one format of a profile serves it.
type track struct {
	view   *view
	rend   *rendition
	kind   string
	scheme scheme
	format format
	key    cmafx.Key // when encrypted
	entry  domain.DRMEntry
}

// prefix is the first part of a format's track URLs: clear when it is
// not encrypted (HLS and DASH share those files), else the format and the
// scheme, as in dash-cenc and hls-cbcs: the formats' keys may differ.
func prefix(c domain.PlayoutConfig, f format) string {
	switch sch := schemeOf(c, f); sch {
	case schemeClear, schemeNone:
		return string(sch)
	default:
		// A digest of the key's entry too: the files are cached as
		// immutable, and a new key (THIRDPARTY) makes other bytes.
		entry, _ := json.Marshal(struct {
			Provider string
			Entry    domain.DRMEntry
		}{c.DRM.Provider, drmEntry(c, f)})
		sum := sha256.Sum256(entry)
		name := "dash-"
		if f == formatHLS {
			name = "hls-"
		}
		return name + string(sch) + "-" + hex.EncodeToString(sum[:3])
	}
}

// track resolves a track's URL parts.
func (s *Service) track(ctx context.Context, v *view, rends []*rendition, pre, kind, name string) (*track, error) {
	f := formatDASH
	if pre == prefix(v.config, formatHLS) {
		f = formatHLS
	}
	want := schemeOf(v.config, f)
	if pre == "" || pre != prefix(v.config, f) || (kind != domain.TrackVideo && kind != domain.TrackAudio) {
		return nil, errNotServed
	}
	if _, ok := keptAudio(v.config, rends); kind == domain.TrackAudio && !ok {
		return nil, errNotServed
	}
	for _, r := range rends {
		if r.name != name || r.ts {
			continue
		}
		t := &track{view: v, rend: r, kind: kind, scheme: want, format: f}
		if want != schemeClear {
			t.entry = drmEntry(v.config, f)
			k, err := s.contentKey(ctx, v, t.entry)
			if err != nil {
				return nil, err
			}
			t.key = k
		}
		return t, nil
	}
	return nil, errNotServed
}

// made caches the files made for tracks, within a byte budget.
type made struct {
	mu     sync.Mutex
	files  map[string][]byte
	order  []string
	bytes  int
	limit  int
	protec map[string]*protected
}

// protected is a track's protector for one init section.
type protected struct {
	p    *cmafx.Protector
	init []byte
}

func (m *made) get(k string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[k]
	return b, ok
}

func (m *made) put(k string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	if _, ok := m.files[k]; ok {
		return
	}
	m.files[k] = b
	m.order = append(m.order, k)
	m.bytes += len(b)
	for m.bytes > m.limit && len(m.order) > 1 {
		m.bytes -= len(m.files[m.order[0]])
		delete(m.files, m.order[0])
		m.order = m.order[1:]
	}
}

// cacheKey names a file of a track under the profile's configuration as
// synced: a profile update makes new files.
func (t *track) cacheKey(file string) string {
	sum := sha256.Sum256([]byte(t.view.manifest.ConfigurationJSON))
	return t.view.manifest.WorkflowID + "/" + hex.EncodeToString(sum[:8]) + "/" + prefix(t.view.config, t.format) + "/" + t.kind + "/" + t.rend.name + "/" + file
}

// trackFile makes a track's init section or segment; init says which.
func (s *Service) trackFile(t *track, file string) ([]byte, bool, error) {
	initName := file
	isInit := true
	if seg, ok := t.rend.find(file); ok {
		initName, isInit = seg.init, false
	} else if !t.rend.isInit(file) {
		return nil, false, errNotServed
	}
	key := t.cacheKey(file)
	if b, ok := s.made.get(key); ok {
		return b, isInit, nil
	}
	init, id, err := s.splitInit(t, initName)
	if err != nil {
		return nil, false, err
	}
	if isInit {
		if t.scheme == schemeClear {
			s.made.put(key, init)
			return init, true, nil
		}
		p, err := s.protector(t, initName, init)
		if err != nil {
			return nil, false, err
		}
		return p.init, true, nil
	}
	raw, err := t.rend.read(file)
	if err != nil {
		return nil, false, err
	}
	out, err := cmafx.SplitSegment(raw, id)
	if err != nil {
		return nil, false, err
	}
	if t.scheme != schemeClear {
		p, err := s.protector(t, initName, init)
		if err != nil {
			return nil, false, err
		}
		if out, err = p.p.Segment(out); err != nil {
			return nil, false, err
		}
	}
	s.made.put(key, out)
	return out, false, nil
}

// isInit reports whether a file is an init section the rendition's
// segments name.
func (r *rendition) isInit(file string) bool {
	for _, s := range r.segments {
		if s.init == file {
			return true
		}
	}
	return false
}

// splitInit is a track's own clear init section, and its track id.
func (s *Service) splitInit(t *track, initName string) ([]byte, uint32, error) {
	raw, err := t.rend.read(initName)
	if err != nil {
		return nil, 0, err
	}
	tracks, err := cmafx.Tracks(raw)
	if err != nil {
		return nil, 0, err
	}
	for _, tr := range tracks {
		if tr.Kind == t.kind {
			b, err := cmafx.SplitInit(raw, tr.ID)
			return b, tr.ID, err
		}
	}
	return nil, 0, errNotServed
}

func (s *Service) protector(t *track, initName string, init []byte) (*protected, error) {
	k := t.cacheKey(initName) + "#protector"
	s.made.mu.Lock()
	p := s.made.protec[k]
	s.made.mu.Unlock()
	if p != nil {
		return p, nil
	}
	var psshs []cmafx.PSSH
	if t.format == formatDASH || t.entry.Name == domain.DRMCENC {
		psshs = append(psshs, cmafx.PSSH{SystemID: cmafx.ClearKeySystemID, KIDs: [][16]byte{t.key.KID}})
	}
	pr, pinit, err := cmafx.NewProtector(init, t.key, string(t.scheme), psshs)
	if err != nil {
		return nil, err
	}
	p = &protected{p: pr, init: pinit}
	s.made.mu.Lock()
	if s.made.protec == nil || len(s.made.protec) > 1024 {
		s.made.protec = map[string]*protected{}
	}
	s.made.protec[k] = p
	s.made.mu.Unlock()
	return p, nil
}
