package domain

import (
	"strconv"
	"strings"
)

// Blueprint is a reusable template of channel settings. A workflow keeps a snapshot
// of the blueprint it was created from, so later edits to the blueprint never change
// a workflow that exists.
type Blueprint struct {
	ID          string            `json:"id" doc:"Identifier: a built-in name such as rtmp-abr-720, or one an organization chose."`
	Name        string            `json:"name" doc:"Display name."`
	Description string            `json:"description" doc:"What the blueprint does."`
	Featured    bool              `json:"featured" doc:"Shown first in lists."`
	Tags        []string          `json:"tags" doc:"Free labels."`
	BuiltIn     bool              `json:"builtIn,omitempty" doc:"True for blueprints shipped with onair, which are read-only."`
	Settings    BlueprintSettings `json:"settings" doc:"The channel settings."`
}

// BlueprintSettings is what a run is built from: its inputs, encoder, outputs and preview.
type BlueprintSettings struct {
	Inputs        []Input         `json:"inputs" doc:"Exactly one input: createInput or managedInput."`
	Channel       ChannelSettings `json:"channel" doc:"Channel class and encoder ladder."`
	OutputGroups  []OutputGroup   `json:"outputGroups" doc:"Where the encoded renditions go: the origin's HLS, archives, destinations."`
	Destinations  []Destination   `json:"destinations,omitempty" doc:"Push targets referenced by output groups through destinationId."`
	PlayerPreview *PlayerPreview  `json:"playerPreview,omitempty" doc:"A playback URL entered by hand for previews."`
	AlertWebhook  string          `json:"alertWebhook,omitempty" doc:"An http(s) URL that receives each alert of the channel's runs, raised or cleared, as JSON (POST, retried); the server's --alert-webhook when empty."`
	// ArchiveRetentionDays has the archive cleaner delete the runs' archives
	// (and their clips) so many days after the run stopped.
	ArchiveRetentionDays int `json:"archiveRetentionDays,omitempty" doc:"Delete each run's archives and clips this many days after the run stopped (1-36500); kept for ever when 0."`
}

// Input is where a run gets its signal: a fresh input per run, or a managed one.
type Input struct {
	CreateInput  *CreateInput     `json:"createInput,omitempty"`
	ManagedInput *ManagedInputRef `json:"managedInput,omitempty"`
}

// CreateInput asks for an input created with the run (an unmanaged input).
type CreateInput struct {
	Type                 string `json:"type" enum:"VIRTUAL_INPUT" doc:"Input type; VIRTUAL_INPUT when empty."`
	Protocol             string `json:"protocol" enum:"RTMP_PUSH" doc:"How the signal arrives."`
	AvailableImmediately bool   `json:"availableImmediately" doc:"Allocate the endpoint when the workflow is created, not when it starts."`
}

// ManagedInputRef points at a managed input, which keeps its endpoint across runs.
type ManagedInputRef struct {
	ID string `json:"id" doc:"The managed input's id."`
}

// ChannelClass is SINGLE_PIPELINE, or STANDARD with a main and a backup pipeline.
type ChannelClass string

// The channel classes.
const (
	ClassSinglePipeline ChannelClass = "SINGLE_PIPELINE"
	ClassStandard       ChannelClass = "STANDARD"
)

// Pipelines is how many pipelines (and ingest endpoints) a channel of this class runs.
func (c ChannelClass) Pipelines() int {
	if c == ClassStandard {
		return 2
	}
	return 1
}

// ChannelSettings holds the class and the encoder settings.
type ChannelSettings struct {
	Class       ChannelClass     `json:"class" enum:"SINGLE_PIPELINE,STANDARD" doc:"STANDARD runs two pipelines, main and backup."`
	Passthrough bool             `json:"passthrough" doc:"No transcoding: the source is packaged as it arrives. video must then be empty."`
	Video       []VideoRendition `json:"video" doc:"The ABR ladder, highest first."`
	// Source names a rung above video that is the input as it arrives,
	// unencoded: the top of a Stream Manager provision's ladder.
	Source string `json:"source,omitempty" doc:"Names a top rung of the ladder, above video, that is the input as it arrives, unencoded; video then holds the encoded rungs below it."`
	Audio  *Audio `json:"audio,omitempty" doc:"Audio encoding; required unless passthrough."`
}

// VideoRendition is one rung of the ABR ladder.
type VideoRendition struct {
	Name       string  `json:"name" doc:"Unique within the ladder, e.g. 720p; used in playlist and file names."`
	Codec      string  `json:"codec" enum:"H264" doc:"Video codec."`
	Width      int     `json:"width" doc:"Pixels, even, 16-7680."`
	Height     int     `json:"height" doc:"Pixels, even, 16-4320."`
	Bitrate    int     `json:"bitrate" doc:"Target bits per second."`
	Maxrate    int     `json:"maxrate" doc:"Peak bits per second, at least bitrate."`
	GopSeconds float64 `json:"gopSeconds" doc:"Keyframe interval in seconds; segment lengths are a multiple of it."`
	Profile    string  `json:"profile" enum:"baseline,main,high" doc:"H.264 profile."`
	Framerate  float64 `json:"framerate,omitempty" doc:"Frames per second; 0 keeps the source rate."`
	// NoUpscale keeps a source smaller than width x height at its size.
	NoUpscale bool `json:"noUpscale,omitempty" doc:"Never scale the source up: a smaller source keeps its size (and aspect), and width and height bound it instead of fixing it; a source slower than framerate keeps its rate."`
}

// RateControl names the rate control that a rendition's bitrate and maxrate imply,
// as the $rc$ name modifier token prints it.
func (v VideoRendition) RateControl() string {
	if v.Maxrate == v.Bitrate {
		return "CBR"
	}
	return "VBR"
}

// Audio is the audio encoding shared by every rendition.
type Audio struct {
	Codec      string `json:"codec" enum:"AAC" doc:"Audio codec."`
	SampleRate int    `json:"sampleRate" enum:"32000,44100,48000" doc:"Hz."`
	Bitrate    int    `json:"bitrate" doc:"Bits per second, 32000-320000."`
	Channels   int    `json:"channels" doc:"1 or 2."`
}

// OutputGroupType names what an output group produces.
type OutputGroupType string

// The output group types.
const (
	OutputHLS     OutputGroupType = "HLS"
	OutputArchive OutputGroupType = "ARCHIVE"
	OutputRTMP    OutputGroupType = "RTMP"
)

// OutputGroup is one output of a run.
type OutputGroup struct {
	Name          string           `json:"name" doc:"Display name."`
	Type          OutputGroupType  `json:"type" enum:"HLS,ARCHIVE,RTMP" doc:"HLS to this server's origin (exactly one group), ARCHIVE, or RTMP push."`
	DestinationID string           `json:"destinationId,omitempty" doc:"The destination an RTMP group pushes to, or an HLS group uploads to (HLS push); an HLS group without one is the origin's."`
	HLS           *HLSSettings     `json:"hls,omitempty" doc:"For HLS only: segment length and window."`
	Archive       *ArchiveSettings `json:"archive,omitempty" doc:"For ARCHIVE only: which rendition is recorded."`
}

// HLSSettings shapes an HLS output.
type HLSSettings struct {
	SegmentSeconds int `json:"segmentSeconds" doc:"Target segment duration, 1-30 s; a multiple of every rendition's GOP."`
	WindowSeconds  int `json:"windowSeconds" doc:"How far back the live playlist reaches (the start-over window), at least 3 segments."`
	// Format is what the segments are made of: TS (MPEG-TS, every player
	// reads it; "" is TS) or CMAF (fragmented MP4).
	Format string `json:"format,omitempty" enum:"TS,CMAF" doc:"TS (MPEG-TS segments; the default) or CMAF (fragmented MP4 segments). A blueprint may have one origin HLS group of each."`
	// LowLatency makes a CMAF output LL-HLS (RFC 8216bis): parts of
	// PartSeconds, blocking playlist reload, preload hints.
	LowLatency  bool    `json:"lowLatency,omitempty" doc:"CMAF only: LL-HLS, with parts of partSeconds, blocking playlist reload and preload hints."`
	PartSeconds float64 `json:"partSeconds,omitempty" doc:"LL-HLS part length, 0.2-2 s and at most a segment; 0.5 when 0."`
}

// The HLS segment formats.
const (
	FormatTS   = "TS"
	FormatCMAF = "CMAF"
)

// DefaultPartSeconds is an LL-HLS output's part length when it names none.
const DefaultPartSeconds = 0.5

// SegmentFormat is the output's format, TS when it names none.
func (h HLSSettings) SegmentFormat() string {
	if h.Format == "" {
		return FormatTS
	}
	return h.Format
}

// Part is the LL-HLS part length, 0 when the output is not low latency.
func (h HLSSettings) Part() float64 {
	switch {
	case !h.LowLatency:
		return 0
	case h.PartSeconds == 0:
		return DefaultPartSeconds
	}
	return h.PartSeconds
}

// ArchiveSettings picks the recorded rendition and names its files.
type ArchiveSettings struct {
	Rendition      string          `json:"rendition,omitempty" doc:"A ladder rendition's name, or SOURCE for the input as it arrives. Empty with video set."`
	Video          *VideoRendition `json:"video,omitempty" doc:"A rendition encoded for the archive only."`
	NameModifier   string          `json:"nameModifier" doc:"Appended to file names; $w$, $h$ and $rc$ expand to width, height and rate control. In a STANDARD channel each pipeline writes under its own directory, 0/ and 1/, as in the guide's 0/$w$x$h$$rc$; a leading 0/ or 1/ here is replaced by the pipeline's."`
	SegmentSeconds int             `json:"segmentSeconds,omitempty" doc:"Archive segment length; the HLS output's when 0."`
}

// RenditionSource names the input as it arrives, unencoded.
const RenditionSource = "SOURCE"

// Destination is a push target; it has one setting per pipeline.
type Destination struct {
	ID       string               `json:"id" doc:"Named by an RTMP output group's destinationId; a destination no group names is refused."`
	Settings []DestinationSetting `json:"settings" doc:"One per pipeline: two for STANDARD channels."`
	// Rendition picks what an RTMP destination is sent.
	Rendition string `json:"rendition,omitempty" doc:"What an RTMP destination is sent: a ladder rendition's name, or SOURCE for the input as it arrives; the top rendition when empty (the source for a passthrough channel)."`
	// PlaybackURLTemplate is where viewers play what an HLS push
	// destination serves, for the channel's playerPreview.
	PlaybackURLTemplate string `json:"playbackUrlTemplate,omitempty" doc:"HLS push: the CDN's playback URL of what this destination receives, (event_name) replaced as in url. A channel shows it as its playerPreview when the blueprint sets none; Akamai's playback URLs depend on each account's setup, so onair cannot guess it."`
	// Method is how an HLS push destination takes files.
	Method string `json:"method,omitempty" enum:"PUT,POST" doc:"HLS push: the HTTP method each segment and playlist is uploaded with; PUT when empty."`
	// MediaPackageSettings is the guide's CloudFront/MediaStore field,
	// accepted empty: onair packages the HLS itself.
	MediaPackageSettings []any `json:"mediaPackageSettings,omitempty" doc:"The guide's CloudFront/MediaStore field: only [] is accepted, as onair packages the HLS itself."`
}

// DestinationSetting is one pipeline's target: an RTMP(S) URL with a key, or an HTTP
// HLS ingest with basic or digest credentials (Akamai MSL4 style).
type DestinationSetting struct {
	URL           string `json:"url" doc:"rtmp:// or rtmps:// for an RTMP output; for an ARCHIVE group, the bucket it records into, s3://bucket/prefix (no merged MP4 there, as the guide says); for an HLS push output, mediastoressl:// (or s3://) alone to push to the server's storage under live/<workflowId>/<pipeline>/, s3://bucket/prefix for a bucket of its own, or http:// or https://, under which each rendition's playlist and segments go, and the master playlist. (event_name) in it is replaced by the workflow's name, made URL-safe. Answers mask what it carries besides the server: a userinfo password, query values, an RTMP stream name in the path."`
	StreamName    string `json:"streamName,omitempty" doc:"RTMP stream key, appended to url. Write-only: answers show ********, and ******** or nothing sent back keeps it."`
	Username      string `json:"username,omitempty" doc:"HLS push: the user of the ingest's Basic or Digest (MD5) authentication (Akamai MSL4)."`
	PasswordParam string `json:"passwordParam,omitempty" doc:"HLS push: that user's password. Write-only, as streamName."`
}

// ExpandEvent replaces the guide's (event_name) placeholder in an HLS push
// or playback URL with the workflow's name made URL-safe: lower case
// letters, digits, '-' and '_', with each run of anything else one '-'.
func ExpandEvent(raw, name string) string {
	if !strings.Contains(raw, "(event_name)") {
		return raw
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	event := strings.TrimRight(b.String(), "-")
	if event == "" {
		event = "event"
	}
	return strings.ReplaceAll(raw, "(event_name)", event)
}

// PlayerPreview is a playback URL for front ends, entered by hand.
type PlayerPreview struct {
	URL string `json:"url" doc:"Playback URL."`
}

// pipelineDir returns the leading "0/" or "1/" of a STANDARD name modifier, or "".
func pipelineDir(mod string) string {
	if len(mod) >= 2 && (mod[0] == '0' || mod[0] == '1') && mod[1] == '/' {
		return mod[:2]
	}
	return ""
}

// ArchiveName expands an archive's name modifier for one pipeline of a run: the
// tokens $w$, $h$ and $rc$ take the recorded rendition's values, and a STANDARD
// channel's pipeline writes under its own directory ("0/", "1/").
func ArchiveName(mod string, class ChannelClass, pipeline int, v VideoRendition) string {
	name := strings.TrimPrefix(mod, pipelineDir(mod))
	r := strings.NewReplacer("$w$", strconv.Itoa(v.Width), "$h$", strconv.Itoa(v.Height), "$rc$", v.RateControl())
	name = r.Replace(name)
	if class == ClassStandard {
		name = strconv.Itoa(pipeline) + "/" + name
	}
	return name
}

// OriginHLS is the settings of the first HLS output group that goes to the
// origin (one without a destination), or nil when the blueprint has none:
// what the run's segment length and window are.
func (s BlueprintSettings) OriginHLS() *HLSSettings {
	if all := s.OriginHLSGroups(); len(all) > 0 {
		return all[0]
	}
	return nil
}

// LiveOutput is one live HLS output of a channel as its players see it.
type LiveOutput struct {
	Format     string `json:"format" enum:"TS,CMAF"`
	LowLatency bool   `json:"lowLatency,omitempty" doc:"LL-HLS: parts, preload hints and blocking playlist reload."`
}

// LiveOutputs are the blueprint's HLS outputs to the origin, in its order;
// nil when it has none.
func (s BlueprintSettings) LiveOutputs() []LiveOutput {
	var out []LiveOutput
	for _, h := range s.OriginHLSGroups() {
		out = append(out, LiveOutput{Format: h.SegmentFormat(), LowLatency: h.Part() > 0})
	}
	return out
}

// OriginHLSGroups are the settings of every HLS output group to the origin,
// in the blueprint's order: one TS and one CMAF at most.
func (s BlueprintSettings) OriginHLSGroups() []*HLSSettings {
	var out []*HLSSettings
	for _, g := range s.OutputGroups {
		if g.Type == OutputHLS && g.DestinationID == "" && g.HLS != nil {
			out = append(out, g.HLS)
		}
	}
	return out
}
