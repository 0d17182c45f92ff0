// Package pipeline is what a channel pipeline is made of: PlanOf works out
// its renditions from the run's settings, Args builds its encoder's command
// line (an ABR ladder; a passthrough one has none), the Supervisor keeps that
// ffmpeg running, and the Encoder feeds it from the source's hub and writes
// what it encodes into the renditions' hubs.
package pipeline

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"onair/internal/domain"
	"onair/internal/recorder"
	"onair/internal/storage"
)

// Spec is everything one pipeline's ffmpeg is built from. Paths are relative to
// the data directory, which is ffmpeg's working directory, so that no path the
// user chose ever reaches ffmpeg's option syntax.
type Spec struct {
	Settings     domain.BlueprintSettings // the effective settings (createArchives applied)
	LiveDir      string                   // e.g. live/<workflowId> or live/<workflowId>/0
	Live         []LiveOutput             // the live HLS outputs: TS in LiveDir, CMAF in LiveDir/cmaf
	Archives     []ArchiveOutput          // where each archive group of this pipeline writes
	Destinations []DestinationOutput      // what this pipeline pushes where
	// KeyDir, when set, encrypts the live HLS (never the archives) with
	// AES-128 keys that the engine writes in this directory (e.g.
	// live/<wf>/keys), the one the origin serves them from, a new one every
	// KeyRotation.
	KeyDir      string
	KeyRotation time.Duration
}

// DestinationOutput is one blueprint destination resolved for a pipeline.
type DestinationOutput struct {
	ID        string // the blueprint destination's
	URL       string // rtmp:// or rtmps://, the stream name appended; or http(s):// for HLS push
	Rendition string // RTMP: a ladder rendition's name, domain.RenditionSource, or "" for the top one
	// HLS push: the output packaged for it (one of Spec.Live; nil for
	// RTMP), and the ingest's credentials and method.
	HLS                *LiveOutput
	Username, Password string
	Method             string
	// Bucket is where a bucket destination's HLS push goes; nil for any
	// other destination.
	Bucket *BucketTarget
}

// BucketTarget is where a bucket destination writes: a location (the
// server's storage when zero) and a key prefix under it.
type BucketTarget struct {
	Location storage.Location
	Key      string
}

// LiveOutput is one origin HLS output group resolved for a pipeline: each
// live rendition gets a variant in Dir/<rendition>/, and Dir holds the
// master playlist.
type LiveOutput struct {
	Format  string        // domain.FormatTS or domain.FormatCMAF
	Dir     string        // e.g. live/<workflowId> (TS) or live/<workflowId>/cmaf
	Segment time.Duration // target segment length
	Window  time.Duration // the start-over window
	Part    time.Duration // LL-HLS part length; 0: no LL-HLS
	Push    bool          // packaged for an HLS push destination, not for the origin's players
}

// CMAFDir is where a live directory keeps its CMAF output.
const CMAFDir = "cmaf"

// ArchiveOutput is one archive group resolved for a pipeline.
type ArchiveOutput struct {
	Settings domain.ArchiveSettings
	Dir      string        // e.g. archive/<workflowId>/<runId>/1280x720VBR
	Segment  time.Duration // its segments' length: its own, or the origin HLS's
	// Location is the bucket the archive goes to: the server's storage
	// when zero, or the bucket its group's destination names, where it is
	// not merged into one MP4 (Merge false), as the guide says.
	Location storage.Location
	Merge    bool
}

// Playlist is the archive's HLS VOD playlist inside its directory.
func (a ArchiveOutput) Playlist() string { return path.Join(a.Dir, recorder.Playlist) }

// LivePlaylist names the master playlist of a live directory.
const LivePlaylist = "master.m3u8"

// Rendition is one stream a pipeline makes: a rung of the live ladder, or
// the stream an archive records when no rung is it.
type Rendition struct {
	// Name names its live variant (its directory under the live directory),
	// or the archive-only stream ("archive-<i>").
	Name string
	// Video encodes it; nil is the source as it arrives, which no encoder makes.
	Video *domain.VideoRendition
	// Live: it is in the live ladder.
	Live bool
}

// Plan is what a pipeline makes of its source: its renditions, the live ones
// first in ladder order, and for each archive of the spec the index of the
// rendition it records.
type Plan struct {
	Renditions []Rendition
	Archives   []int
}

// PlanOf works out a pipeline's renditions: a passthrough ladder is the
// source; an ABR ladder is its encoded rungs, under the source when the
// channel names it as its top rung; an archive records a rung of
// the ladder, or a stream of its own (the source, or a rendition encoded for
// it alone).
func PlanOf(s Spec) Plan {
	var p Plan
	ch := s.Settings.Channel
	if ch.Passthrough {
		p.Renditions = []Rendition{{Name: domain.RenditionSource, Live: true}}
	} else {
		if ch.Source != "" {
			p.Renditions = []Rendition{{Name: ch.Source, Live: true}}
		}
		for i := range ch.Video {
			p.Renditions = append(p.Renditions, Rendition{Name: ch.Video[i].Name, Video: &ch.Video[i], Live: true})
		}
	}
	for i, a := range s.Archives {
		p.Archives = append(p.Archives, p.archived(a.Settings, i))
	}
	return p
}

// archived returns the rendition archive i records, adding one when no rung
// of the ladder is it.
func (p *Plan) archived(a domain.ArchiveSettings, i int) int {
	for j, r := range p.Renditions {
		if a.Video != nil || !r.Live {
			break
		}
		if r.Name == a.Rendition || (r.Video == nil && a.Rendition == domain.RenditionSource) {
			return j
		}
	}
	if a.Video == nil {
		for j, r := range p.Renditions {
			if r.Video == nil {
				return j // the source, already a rendition
			}
		}
	}
	p.Renditions = append(p.Renditions, Rendition{Name: fmt.Sprintf("archive-%d", i), Video: a.Video})
	return len(p.Renditions) - 1
}

// Encoded are the renditions an encoder makes, in the order of its outputs.
func (p Plan) Encoded() []int {
	var out []int
	for i, r := range p.Renditions {
		if r.Video != nil {
			out = append(out, i)
		}
	}
	return out
}

// Args returns the encoder's argv (without the program name) for a
// pipeline, nil when nothing is to be encoded (a passthrough ladder): the
// source as MPEG-TS on stdin, one decode, each encoded rendition scaled and
// encoded once, keyframes forced on the GOP grid, and each rendition written
// back as MPEG-TS on its own output (file descriptor 3+k for the k-th
// encoded rendition), every packet flushed as it is muxed. The audio is
// encoded once and goes with every rendition. The outputs keep the input's
// timestamps, so that what the encoder writes is on the pipeline's timeline.
// ffmpeg writes no playlist and no segment.
func Args(s Spec) ([]string, error) {
	if s.Settings.OriginHLS() == nil {
		return nil, fmt.Errorf("the blueprint has no HLS output group to the origin")
	}
	plan := PlanOf(s)
	encoded := plan.Encoded()
	if len(encoded) == 0 {
		return nil, nil
	}
	args := []string{
		"-hide_banner", "-loglevel", "warning", "-nostats",
		"-progress", "pipe:1", "-stats_period", "0.5",
		"-copyts",
		// ffmpeg probes a live input for 5 s by default before it encodes
		// anything. The PMT names the tracks, and the hub starts the input
		// at a keyframe with its parameter sets, so 0.2 s of media is
		// enough: a run whose publisher is there is RUNNING 0.2 s after the
		// first frames instead of 1 s (a provision's publisher always is).
		"-analyzeduration", "200000",
		"-f", "mpegts", "-i", "pipe:0",
	}
	var filter, outs []string
	for k := range encoded {
		outs = append(outs, fmt.Sprintf("[s%d]", k))
	}
	filter = append(filter, fmt.Sprintf("[0:v:0]split=%d%s", len(encoded), strings.Join(outs, "")))
	for k, i := range encoded {
		v := plan.Renditions[i].Video
		chain := fmt.Sprintf("[s%d]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1", k, v.Width, v.Height, v.Width, v.Height)
		if v.NoUpscale {
			// Bounded by the rung's size and by the source's own: never larger.
			chain = fmt.Sprintf("[s%d]scale=w='min(%d,iw)':h='min(%d,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1", k, v.Width, v.Height)
		}
		switch fps := strconv.FormatFloat(v.Framerate, 'f', -1, 64); {
		case v.Framerate > 0 && v.NoUpscale:
			// At most the source's rate too, when ffmpeg knows it: no frame
			// is repeated to reach the rung's.
			chain += ",fps=fps='if(gt(source_fps,0),min(" + fps + ",source_fps)," + fps + ")'"
		case v.Framerate > 0:
			chain += ",fps=" + fps
		}
		filter = append(filter, chain+fmt.Sprintf("[v%d]", k))
	}
	args = append(args, "-filter_complex", strings.Join(filter, ";"))
	for k := range encoded {
		args = append(args, "-map", fmt.Sprintf("[v%d]", k))
	}
	args = append(args, "-map", "0:a:0?")
	for k, i := range encoded {
		args = append(args, videoCodec(k, plan.Renditions[i].Video)...)
	}
	if a := s.Settings.Channel.Audio; a == nil {
		args = append(args, "-c:a", "copy")
	} else {
		args = append(args, "-c:a", "aac", "-b:a", kbps(a.Bitrate), "-ar", strconv.Itoa(a.SampleRate), "-ac", strconv.Itoa(a.Channels))
	}
	var slaves []string
	for k := range encoded {
		slaves = append(slaves, "["+strings.Join([]string{
			"f=mpegts",
			"select=" + teeQuote(fmt.Sprintf("v:%d,a:0", k)),
			"flush_packets=1",
		}, ":")+"]pipe:"+strconv.Itoa(OutputFD(k)))
	}
	// The pipeline's name in the TS it writes, which also tells one
	// pipeline's ffmpeg from another's in ps.
	args = append(args, "-metadata", "service_name="+s.LiveDir)
	return append(args, "-f", "tee", strings.Join(slaves, "|")), nil
}

// OutputFD is the file descriptor on which ffmpeg writes the k-th encoded
// rendition: the supervisor's output k.
func OutputFD(k int) int { return 3 + k }

// videoCodec encodes one stream with x264, keyframes forced on the GOP grid so
// that every rendition cuts its segments at the same instants.
func videoCodec(i int, v *domain.VideoRendition) []string {
	n := strconv.Itoa(i)
	gop := strconv.FormatFloat(v.GopSeconds, 'f', -1, 64)
	return []string{
		"-c:v:" + n, "libx264",
		"-preset:v:" + n, "veryfast",
		"-profile:v:" + n, v.Profile,
		"-b:v:" + n, kbps(v.Bitrate),
		"-maxrate:v:" + n, kbps(v.Maxrate),
		"-bufsize:v:" + n, kbps(2 * v.Maxrate),
		"-pix_fmt:v:" + n, "yuv420p",
		"-force_key_frames:v:" + n, "expr:gte(t,n_forced*" + gop + ")",
		// No keyframes but the forced ones: a scene cut or x264's own keyint
		// would start a segment in one rendition and not in the others.
		"-sc_threshold:v:" + n, "0",
		"-g:v:" + n, strconv.Itoa(int(math.Ceil(v.GopSeconds * 120))),
	}
}

// teeQuote quotes a tee slave option value that holds ':' or ','. The tee muxer
// unescapes twice (the slave list, then each option), hence the escaped quotes.
func teeQuote(v string) string { return `\'` + v + `\'` }

func kbps(bps int) string { return strconv.Itoa(bps/1000) + "k" }
