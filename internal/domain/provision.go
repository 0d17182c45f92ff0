package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Provision is a Stream Manager stream provision: settings for the scope and
// stream name that a publisher pushes to (rtmp://host/<scope>/<stream>),
// applied when it connects. The publisher starts a run by itself; the run
// ends when it has been gone for the grace period.
type Provision struct {
	OrgID   string
	Scope   string
	Name    string
	Meta    ProvisionMeta
	Created time.Time
	Updated time.Time
	// Workflows holds, by publish name (the stream's name, or a variant's
	// when each variant is published apart), the workflow whose runs that
	// publisher starts. A workflow is made at the first publish.
	Workflows map[string]string
}

// Path is the provision's stream path, scope and name joined as RTMP routing
// joins an app and a stream name.
func (p *Provision) Path() string { return p.Scope + "/" + p.Name }

// ProvisionMeta is a provision's meta object: its publisher's credentials,
// its ladder, its georules and its quality of service. The json tags are
// the store's; the Stream Manager's shape of it is the API's.
type ProvisionMeta struct {
	Authentication *ProvisionAuth `json:"authentication"`
	// Stream is the ABR ladder; level 1 is the highest.
	Stream   []ProvisionVariant `json:"stream"`
	Georules *Georules          `json:"georules"`
	Qos      *int               `json:"qos"`
	// Extra holds the other root properties of meta as they were sent, by
	// name: the Stream Manager keeps what it is given, answers them beside
	// the others, and ?key= reads any of them.
	Extra map[string]json.RawMessage `json:"extra"`
}

// ProvisionAuth is the publisher's credentials.
type ProvisionAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ProvisionVariant is one rung of a provision's ladder.
type ProvisionVariant struct {
	Name       string            `json:"name"`
	Level      int               `json:"level"`
	Properties VariantProperties `json:"properties"`
}

// VariantProperties is what onair encodes a variant at; all zero for a variant
// that is published apart and passed through.
type VariantProperties struct {
	VideoWidth  int `json:"videoWidth,omitempty"`
	VideoHeight int `json:"videoHeight,omitempty"`
	VideoBR     int `json:"videoBR,omitempty"`
	VideoFPS    int `json:"videoFPS,omitempty"`
}

// Empty reports whether no property is set.
func (v VariantProperties) Empty() bool { return v == VariantProperties{} }

// Georules say which viewers may play a provision's stream.
type Georules struct {
	Regions    []string `json:"regions"`
	Restricted bool     `json:"restricted"`
	// RestrictedText: restricted was given as the text "true" or "false"
	// rather than a boolean, and is answered in that form.
	RestrictedText bool `json:"restrictedText"`
}

// The provision qos levels: 3 is the only one the Stream Manager knows.
const ProvisionQoS = 3

// Variant property bounds, wide enough for any real ladder and narrow
// enough to catch kbps for bps.
var variantBounds = []variantBound{
	{"videoWidth", 16, 7680, func(v *VariantProperties) *int { return &v.VideoWidth }},
	{"videoHeight", 16, 4320, func(v *VariantProperties) *int { return &v.VideoHeight }},
	{"videoBR", minVideoBitrate, maxVideoBitrate, func(v *VariantProperties) *int { return &v.VideoBR }},
	{"videoFPS", 1, 120, func(v *VariantProperties) *int { return &v.VideoFPS }},
}

type variantBound struct {
	name   string
	lo, hi int
	get    func(*VariantProperties) *int
}

// regionPattern is a region: an ISO 3166-1 alpha-2 country code.
var regionPattern = regexp.MustCompile(`^[A-Za-z]{2}$`)

// pathSegment is a scope or stream name: one segment of an RTMP stream path
// and of playback URLs.
var pathSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ValidProvisionPath checks a provision's scope and stream name.
func ValidProvisionPath(scope, name string) error {
	p := &problems{}
	for _, f := range []struct{ field, v string }{{"scopeName", scope}, {"streamName", name}} {
		if !pathSegment.MatchString(f.v) {
			p.add(f.field, "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit; got %q", f.v)
		}
	}
	return p.err()
}

// Validate checks meta's values, with field paths under meta: qos is 3;
// variant names are unique and make playback paths; levels are positive and
// unique; properties are in bounds; a ladder with properties has them on
// every variant below the top; georules name region codes.
func (m *ProvisionMeta) Validate(streamName string) error {
	p := &problems{}
	if a := m.Authentication; a != nil {
		if a.Username == "" {
			p.add("meta.authentication.username", "is required with authentication")
		}
		if a.Password == "" {
			p.add("meta.authentication.password", "is required with authentication")
		}
	}
	if m.Qos != nil && *m.Qos != ProvisionQoS {
		p.add("meta.qos", "must be %d, the only quality of service level, got %d", ProvisionQoS, *m.Qos)
	}
	if len(m.Stream) > maxRenditions {
		p.add("meta.stream", "has %d variants; at most %d", len(m.Stream), maxRenditions)
	}
	names, levels := map[string]bool{}, map[int]bool{}
	transcoded := m.Transcoded()
	top := m.Top()
	for i, v := range m.Stream {
		at := index("meta.stream", i)
		checkRenditionName(p, join(at, "name"), v.Name)
		switch {
		case v.Name == streamName:
			p.add(join(at, "name"), "must differ from the stream's name %q, which plays the whole ladder", streamName)
		case names[v.Name]:
			p.add(join(at, "name"), "%q is used twice", v.Name)
		}
		names[v.Name] = true
		if v.Level < 1 {
			p.add(join(at, "level"), "must be a positive integer (1 is the highest), got %d", v.Level)
		} else if levels[v.Level] {
			p.add(join(at, "level"), "%d is used twice", v.Level)
		}
		levels[v.Level] = true
		for _, b := range variantBounds {
			if n := *b.get(&v.Properties); n != 0 || (transcoded && i != top && b.name != "videoFPS") {
				if n < b.lo || n > b.hi {
					p.add(join(at, "properties."+b.name), "must be an integer from %d to %d, got %d", b.lo, b.hi, n)
				}
			}
		}
	}
	if transcoded && len(m.Stream) == 1 {
		p.add("meta.stream[0].properties", "leave empty: a ladder of one variant has nothing below it to encode, so its publisher's stream is passed through as it is")
	}
	if g := m.Georules; g != nil {
		for i, r := range g.Regions {
			if !regionPattern.MatchString(r) {
				p.add(index("meta.georules.regions", i), "must be a two-letter country code (ISO 3166-1 alpha-2, such as US), got %q", r)
			}
		}
		if g.Restricted && len(g.Regions) == 0 {
			p.add("meta.georules.regions", "is empty while restricted is true, so no viewer could play: list the regions that may")
		}
	}
	return p.err()
}

// Transcoded reports whether the ladder is encoded by onair from one
// publisher (some variant has properties); otherwise each variant is
// published apart and passed through.
func (m *ProvisionMeta) Transcoded() bool {
	return slices.ContainsFunc(m.Stream, func(v ProvisionVariant) bool { return !v.Properties.Empty() })
}

// Top is the index of the highest variant (the lowest level), -1 without variants.
func (m *ProvisionMeta) Top() int {
	top := -1
	for i, v := range m.Stream {
		if top < 0 || v.Level < m.Stream[top].Level {
			top = i
		}
	}
	return top
}

// Ladder is the variants from the highest level down.
func (m *ProvisionMeta) Ladder() []ProvisionVariant {
	out := slices.Clone(m.Stream)
	slices.SortStableFunc(out, func(a, b ProvisionVariant) int { return a.Level - b.Level })
	return out
}

// PublishNames are the stream names publishers of the provision push to
// under its scope: the stream's own name, or with a transcoded ladder its
// top variant's name too (Red5's encoders publish that), or each variant's
// when the variants are published apart.
func (p *Provision) PublishNames() []string {
	switch {
	case len(p.Meta.Stream) == 0:
		return []string{p.Name}
	case p.Meta.Transcoded():
		return []string{p.Name, p.Meta.Stream[p.Meta.Top()].Name}
	}
	out := make([]string, len(p.Meta.Stream))
	for i, v := range p.Meta.Ladder() {
		out[i] = v.Name
	}
	return out
}

// HasVariant reports whether the ladder has a variant of that name.
func (m *ProvisionMeta) HasVariant(name string) bool {
	return slices.ContainsFunc(m.Stream, func(v ProvisionVariant) bool { return v.Name == name })
}

// PathNames are every name under the provision's scope that it answers
// for: its stream and each variant's name.
func (p *Provision) PathNames() []string {
	out := []string{p.Name}
	for _, v := range p.Meta.Stream {
		out = append(out, v.Name)
	}
	return out
}

// RunName is the publish name whose workflow a publisher of name starts:
// the provision's own for a transcoded ladder's top variant, name itself
// otherwise. ok is false when name is not one a publisher may push to.
func (p *Provision) RunName(name string) (string, bool) {
	if !slices.Contains(p.PublishNames(), name) {
		return "", false
	}
	if p.Meta.Transcoded() {
		return p.Name, true
	}
	return name, true
}

// PublisherAllowed checks a publisher's credentials against the
// provision's authentication: username and password in the query of the
// app or stream name, or as the first two string arguments of the RTMP
// connect command (Red5's round-trip authentication). Without
// authentication every publisher is allowed.
func (p *Provision) PublisherAllowed(query string, connectArgs []string) bool {
	a := p.Meta.Authentication
	if a == nil {
		return true
	}
	user, pass := "", ""
	if q, err := url.ParseQuery(query); err == nil && q.Has("username") {
		user, pass = q.Get("username"), q.Get("password")
	} else if len(connectArgs) >= 2 {
		user, pass = connectArgs[0], connectArgs[1]
	}
	// Digests, so that the comparison takes as long whatever the lengths.
	gotUser, wantUser := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(a.Username))
	gotPass, wantPass := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(a.Password))
	u := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
	w := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
	return u&w == 1
}

// ViewerAllowed decides whether a viewer in country (an ISO 3166-1 alpha-2
// code, "" when unknown) may play, and why not. Rules name countries, not
// continents: NA is Namibia, never North America.
func (g *Georules) ViewerAllowed(country string) (bool, string) {
	if g == nil || !g.Restricted {
		return true, ""
	}
	if country != "" && slices.ContainsFunc(g.Regions, func(allowed string) bool { return strings.EqualFold(allowed, country) }) {
		return true, ""
	}
	if country == "" {
		return false, "this stream plays only in " + strings.Join(g.Regions, ", ") + ", and your country could not be determined"
	}
	return false, fmt.Sprintf("this stream plays only in %s, not in %s", strings.Join(g.Regions, ", "), country)
}

// Provision runs' settings: 2 s segments for a short delay, an hour's
// start-over window, every run archived.
const (
	provisionSegment = 2
	provisionWindow  = 3600
	provisionGOP     = 2
)

// Blueprint is what the runs of a publish name (see RunName) are made of:
// the publisher's stream passed through, with an encoded ladder below it
// when the variants have properties; HLS to the origin and an archive.
func (p *Provision) Blueprint(runName string) Blueprint {
	ch := ChannelSettings{Class: ClassSinglePipeline, Passthrough: true}
	rec := ArchiveSettings{Rendition: RenditionSource, NameModifier: "source"}
	if p.Meta.Transcoded() {
		ladder := p.Meta.Ladder()
		ch = ChannelSettings{Class: ClassSinglePipeline, Source: ladder[0].Name,
			Audio: &Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 96_000, Channels: 2}}
		for _, v := range ladder[1:] {
			pr := v.Properties
			ch.Video = append(ch.Video, VideoRendition{
				Name: v.Name, Codec: "H264", Width: pr.VideoWidth &^ 1, Height: pr.VideoHeight &^ 1,
				Bitrate: pr.VideoBR, Maxrate: pr.VideoBR * 3 / 2, GopSeconds: provisionGOP, Profile: "main",
				Framerate: float64(pr.VideoFPS), NoUpscale: true,
			})
		}
		rec = ArchiveSettings{Rendition: ladder[0].Name, NameModifier: ladder[0].Name}
	}
	return Blueprint{
		ID:          "provision",
		Name:        p.Scope + "/" + runName,
		Description: "Started by its publisher pushing to " + p.Scope + "/" + runName + " on the RTMP listener, and stopped when the publisher has been gone for the grace period.",
		Settings: BlueprintSettings{
			Inputs:  []Input{{CreateInput: &CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}},
			Channel: ch,
			OutputGroups: []OutputGroup{
				{Name: "HLS origin", Type: OutputHLS, HLS: &HLSSettings{SegmentSeconds: provisionSegment, WindowSeconds: provisionWindow}},
				{Name: "Archive", Type: OutputArchive, Archive: &rec},
			},
		},
	}
}
