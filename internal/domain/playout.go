package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// PlayoutProfile is a named configuration of the manifests that viewers play
// an event (a workflow and its runs) through, Vualto's Live Playout Profile:
// which renditions it lists, in which formats, encrypted or not, at which
// path, and the output URLs it names. Its manifests exist on the origin while
// an attached event is in a playout state.
type PlayoutProfile struct {
	ID    string
	OrgID string
	Name  string
	// ConfigurationJSON is the configuration as it was given, answered back
	// as it is; Config is what it says.
	ConfigurationJSON string
	Config            PlayoutConfig
	Created, Updated  time.Time
}

// PlayoutConfig is a profile's configuration JSON, read.
type PlayoutConfig struct {
	// ManifestFile is the server manifest's path, {0} standing for the event
	// id: absolute under /playout/, or relative to /playout/<event id>/.
	ManifestFile string `json:"manifestFile"`
	// AllowedPublishingPoints limits the profile to the events whose
	// publishing point is one of them ({0} is the event id); empty: all.
	AllowedPublishingPoints []string `json:"allowedPublishingPoints,omitempty"`
	// MP4SplitOptions are Unified Origin's options as written; Options is
	// what onair takes from them.
	MP4SplitOptions string         `json:"mp4splitOptions,omitempty"`
	Options         PlayoutOptions `json:"-"`
	DRM             *PlayoutDRM    `json:"drm,omitempty"`
	// Tracks keeps the renditions that fit one of its entries; empty: all.
	Tracks []TrackSelection `json:"tracks,omitempty"`
	// OutputURLs are returned on the profile's events with {0} replaced by
	// the event id; every other property is kept as written.
	OutputURLs []map[string]any `json:"outputUrls,omitempty"`
}

// PlayoutOptions are the mp4split options that act in onair.
type PlayoutOptions struct {
	// DVRWindowSeconds is --dvr_window_length: how far back the manifests
	// reach, at most the channel's window; 0 when not given.
	DVRWindowSeconds int
	HLSDisabled      bool // --hls.disable
	DASHDisabled     bool // --mpd.disable
	// Archiving is --archiving (nil: not given), checked against the
	// channel's archive.
	Archiving *bool
	// ArchiveSegmentSeconds is --archive_segment_length, checked against
	// the channel's archive segment length; 0 when not given.
	ArchiveSegmentSeconds int
}

// NoDVRSeconds: a DVR window of this or less is no DVR at all (Unified
// Origin's rule), the manifests keeping only the live edge.
const NoDVRSeconds = 30

// The DRM providers a profile names.
const (
	// DRMVualto: onair is the key provider. It makes a key per event, keeps
	// it encrypted and hands it out through its ClearKey license endpoint.
	DRMVualto = "VUALTO"
	// DRMThirdParty: the keys are given in the profile.
	DRMThirdParty = "THIRDPARTY"
)

// The DRM systems of a drm_data entry.
const (
	DRMCENC     = "CENC"     // Common Encryption: DASH, and HLS with CMAF
	DRMFairPlay = "FAIRPLAY" // HLS SAMPLE-AES (cbcs), the key from the skd:// URI
)

// The Common Encryption schemes.
const (
	SchemeCENC = "cenc" // AES-CTR, full samples (video: subsamples)
	SchemeCBCS = "cbcs" // AES-CBC with a 1:9 pattern and a constant IV
)

// PlayoutDRM is a profile's drm object.
type PlayoutDRM struct {
	Provider string     `json:"drm_provider"`
	Data     []DRMEntry `json:"drm_data,omitempty"`
}

// DRMEntry is one drm_data entry: a DRM system and, for THIRDPARTY, its key.
type DRMEntry struct {
	Name string `json:"name"`
	// KeyID, KeyIV and Key are hex or base64 of 16 bytes (KeyIV may be 8);
	// Key may be left out when ContentID resolves it through the configured
	// key provider.
	KeyID     string `json:"key_id,omitempty"`
	KeyIV     string `json:"key_iv,omitempty"`
	Key       string `json:"key,omitempty"`
	ContentID string `json:"content_id,omitempty"`
	// Scheme is cenc or cbcs, for CENC; empty: cenc for DASH, cbcs for HLS.
	Scheme              string `json:"scheme,omitempty"`
	PlayReadyLAURL      string `json:"playready_laurl,omitempty"`
	WidevineLAURL       string `json:"widevine_laurl,omitempty"`
	WidevineDRMSpecific string `json:"widevine_drmspecific,omitempty"`
	// LAURL is FairPlay's key server; it goes into the skd:// URI.
	LAURL string `json:"laurl,omitempty"`
	ASK   string `json:"ask,omitempty"`
}

// The track kinds of a profile's tracks.
const (
	TrackVideo = "video"
	TrackAudio = "audio"
	TrackText  = "textstream"
)

// TrackSelection is one tracks entry: a kind, and what its tracks must fit.
type TrackSelection struct {
	Kind     string        `json:"kind"`
	Criteria TrackCriteria `json:"criteria"`
}

// TrackCriteria filters a kind's tracks; a zero field does not filter.
type TrackCriteria struct {
	MaxWidth      int    `json:"MaxWidth,omitempty"`
	MaxHeight     int    `json:"MaxHeight,omitempty"`
	SystemBitrate int    `json:"systemBitrate,omitempty"` // a ceiling, bits per second
	FourCC        string `json:"FourCC,omitempty"`        // AVC1, HEV1, HVC1, AACL, AACH
}

// PlayoutTrack is what a profile's tracks are matched against: one track of
// one rendition.
type PlayoutTrack struct {
	Kind          string
	Width, Height int
	Bitrate       int    // bits per second
	Codec         string // RFC 6381: avc1.64001f, hvc1.1.6.L93.B0, mp4a.40.2
}

// ParsePlayoutConfig reads and checks a profile's configuration JSON. Its
// errors name the bad field inside configurationJson.
func ParsePlayoutConfig(s string) (PlayoutConfig, error) {
	const root = "configurationJson"
	var c PlayoutConfig
	if strings.TrimSpace(s) == "" {
		return c, fieldErr(root, "is required")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return c, fieldErr(root+"."+te.Field, "must be a JSON "+jsonKind(te.Type.Kind().String()))
		}
		return c, fieldErr(root, jsonProblem(err))
	}
	if dec.More() {
		return c, fieldErr(root, "holds more than one JSON value")
	}
	var errs []FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, FieldError{Field: root + "." + field, Message: fmt.Sprintf(format, a...)})
	}
	if msg := checkManifestFile(c.ManifestFile); msg != "" {
		add("manifestFile", "%s", msg)
	}
	for i, p := range c.AllowedPublishingPoints {
		if !strings.HasPrefix(p, "/") {
			add(fmt.Sprintf("allowedPublishingPoints[%d]", i), "must be a path such as /live/default/{0}/{0}.isml")
		}
	}
	opts, bad := parseMP4SplitOptions(c.MP4SplitOptions)
	if bad != "" {
		add("mp4splitOptions", "%s", bad)
	}
	c.Options = opts
	if c.DRM != nil {
		for _, fe := range c.DRM.check() {
			add("drm"+fe.Field, "%s", fe.Message)
		}
	}
	for i, t := range c.Tracks {
		f := fmt.Sprintf("tracks[%d]", i)
		switch t.Kind {
		case TrackVideo, TrackAudio, TrackText:
		default:
			add(f+".kind", "must be video, audio or textstream, not %q", t.Kind)
		}
		cr := t.Criteria
		if cr.MaxWidth < 0 || cr.MaxHeight < 0 || cr.SystemBitrate < 0 {
			add(f+".criteria", "MaxWidth, MaxHeight and systemBitrate cannot be negative")
		}
		if cr.FourCC != "" && !slices.Contains([]string{"AVC1", "HEV1", "HVC1", "AACL", "AACH"}, strings.ToUpper(cr.FourCC)) {
			add(f+".criteria.FourCC", "must be AVC1, HEV1, HVC1, AACL or AACH, not %q", cr.FourCC)
		}
	}
	for i, u := range c.OutputURLs {
		if p, ok := u["streamProtocol"]; ok {
			if s, isText := p.(string); !isText || !slices.Contains([]string{"HLS", "DASH", "MPEG-DASH"}, strings.ToUpper(s)) {
				add(fmt.Sprintf("outputUrls[%d].streamProtocol", i), "must be HLS or DASH")
			}
		}
	}
	if len(errs) > 0 {
		return c, &ValidationError{Errors: errs}
	}
	return c, nil
}

func fieldErr(field, msg string) error {
	return &ValidationError{Errors: []FieldError{{Field: field, Message: msg}}}
}

// jsonProblem words a decoding error of the configuration for its author.
func jsonProblem(err error) string {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "has no property " + f
	}
	return "is not a JSON object: " + strings.TrimPrefix(msg, "json: ")
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	case "int", "int64", "float64":
		return "number"
	}
	return k
}

// checkManifestFile says what is wrong with a manifestFile, or "".
func checkManifestFile(m string) string {
	switch {
	case m == "":
		return "is required"
	case !strings.HasSuffix(m, ".isml"):
		return "must name a server manifest ending in .isml"
	case strings.ContainsAny(m, "\\?#%\x00 "):
		return "may not hold \\, ?, #, %, spaces or NUL"
	case strings.Contains(m, ".isml/"):
		return "may name one .isml only, at its end"
	case strings.HasPrefix(m, "/") && !strings.Contains(m, "{0}"):
		return "an absolute path must hold {0}, the event id, as in /playout/pc01/{0}/cenc.isml: it is every event's"
	}
	p := strings.ReplaceAll(m, "{0}", "x")
	if strings.HasPrefix(p, "/") {
		if !strings.HasPrefix(p, PlayoutRoot+"/") {
			return "an absolute path must be under " + PlayoutRoot + "/"
		}
		p = strings.TrimPrefix(p, "/")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "may not hold empty, . or .. path segments"
		}
	}
	return ""
}

// PlayoutRoot is where the origin serves playout manifests.
const PlayoutRoot = "/playout"

// ManifestPath is the path the profile's server manifest has for an event:
// an absolute manifestFile with {0} replaced, or a relative one under
// /playout/<event id>/.
func (c PlayoutConfig) ManifestPath(eventID string) string {
	m := strings.ReplaceAll(c.ManifestFile, "{0}", eventID)
	if !strings.HasPrefix(m, "/") {
		m = path.Join(PlayoutRoot, eventID, m)
	}
	return m
}

// PublishingPoint is an event's publishing point, what a profile's
// allowedPublishingPoints are matched against: /live/<group>/<id>/<id>.isml,
// the group being the workflow's first tag, or default.
func PublishingPoint(wf Workflow) string {
	group := "default"
	if len(wf.Tags) > 0 && wf.Tags[0] != "" {
		group = wf.Tags[0]
	}
	return path.Join("/live", group, wf.ID, wf.ID+".isml")
}

// AppliesTo reports whether the profile serves the event: it names no
// publishing points, or the event's among them.
func (c PlayoutConfig) AppliesTo(wf Workflow) bool {
	if len(c.AllowedPublishingPoints) == 0 {
		return true
	}
	pp := PublishingPoint(wf)
	return slices.ContainsFunc(c.AllowedPublishingPoints, func(p string) bool {
		return strings.ReplaceAll(p, "{0}", wf.ID) == pp
	})
}

// Keeps reports whether the profile's tracks keep t: no tracks keep all;
// otherwise an entry of t's kind whose criteria it fits.
func (c PlayoutConfig) Keeps(t PlayoutTrack) bool {
	if len(c.Tracks) == 0 {
		return true
	}
	return slices.ContainsFunc(c.Tracks, func(s TrackSelection) bool { return s.Kind == t.Kind && s.Criteria.fits(t) })
}

func (cr TrackCriteria) fits(t PlayoutTrack) bool {
	switch {
	case cr.MaxWidth > 0 && t.Width > cr.MaxWidth,
		cr.MaxHeight > 0 && t.Height > cr.MaxHeight,
		cr.SystemBitrate > 0 && t.Bitrate > cr.SystemBitrate:
		return false
	}
	return cr.FourCC == "" || FourCCMatches(cr.FourCC, t.Codec)
}

// FourCCMatches reports whether an RFC 6381 codec is of a profile's FourCC:
// AVC1 (avc1, avc3), HEV1 and HVC1 (either HEVC sample entry), AACL (AAC-LC,
// mp4a.40.2) or AACH (HE-AAC, mp4a.40.5 and .29).
func FourCCMatches(fourCC, codec string) bool {
	entry, _, _ := strings.Cut(codec, ".")
	switch strings.ToUpper(fourCC) {
	case "AVC1":
		return entry == "avc1" || entry == "avc3"
	case "HEV1", "HVC1":
		return entry == "hev1" || entry == "hvc1"
	case "AACL":
		return codec == "mp4a.40.2"
	case "AACH":
		return codec == "mp4a.40.5" || codec == "mp4a.40.29"
	}
	return false
}

// OutputURLsFor are the profile's output URLs for an event: {0} replaced by
// its id in every text, other placeholders ({CDN-Address}) left as written.
func (c PlayoutConfig) OutputURLsFor(eventID string) []map[string]any {
	out := make([]map[string]any, len(c.OutputURLs))
	for i, u := range c.OutputURLs {
		m := make(map[string]any, len(u))
		for k, v := range u {
			if s, ok := v.(string); ok {
				v = strings.ReplaceAll(s, "{0}", eventID)
			}
			m[k] = v
		}
		out[i] = m
	}
	return out
}

// PlayoutManifest is a profile's manifest of an event as it exists on the
// origin: at Path, serving the profile's configuration as it was synced.
type PlayoutManifest struct {
	Path              string
	OrgID             string
	WorkflowID        string
	ProfileID         string
	ConfigurationJSON string
	Created, Updated  time.Time
}

// SyncResult is what one sync of a profile's manifest of an event did
// (Vualto's Origin Manifest Sync Result).
type SyncResult struct {
	ProfileID string   `json:"profileId"`
	EventID   string   `json:"eventId"`
	Success   bool     `json:"success"`
	Errors    []string `json:"errors,omitempty"`
}

// PlayoutManifestRef is a manifest as a workflow lists it: where it is, and
// its HLS and DASH URLs for the formats it serves.
type PlayoutManifestRef struct {
	ProfileID string    `json:"profileId"`
	Path      string    `json:"path" doc:"The server manifest's path; /.m3u8 after it is the HLS, /.mpd the DASH."`
	HLS       string    `json:"hls,omitempty"`
	DASH      string    `json:"dash,omitempty"`
	Updated   time.Time `json:"updated"`
}
