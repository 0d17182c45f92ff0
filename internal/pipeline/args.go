// Package pipeline runs one ffmpeg per channel pipeline: Args builds its command
// line from the run's settings, and the supervisor keeps it running.
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
)

// Spec is everything one pipeline's ffmpeg is built from. Paths are relative to
// the data directory, which is ffmpeg's working directory, so that no path the
// user chose ever reaches ffmpeg's option syntax.
type Spec struct {
	Settings     domain.BlueprintSettings // the effective settings (createArchives applied)
	LiveDir      string                   // e.g. live/<workflowId> or live/<workflowId>/0
	Archives     []ArchiveOutput          // where each archive group of this pipeline writes
	Destinations []string                 // RTMP URLs this pipeline pushes to
	Restart      bool                     // the playlists exist (an instance after the first, or after a server restart): continue them
	// KeyInfoFile, when set, encrypts the live HLS (never the archives) with
	// AES-128: ffmpeg re-reads this key info file (e.g. live/<wf>/keys/keyinfo)
	// before every segment, and the engine rewrites it with a new key every
	// KeyRotation. The keys sit next to it, in the directory the origin serves them from.
	KeyInfoFile string
	KeyRotation time.Duration
}

// KeyDir is the directory of the live HLS keys, next to the key info file; ""
// when the live HLS is clear.
func (s Spec) KeyDir() string {
	if s.KeyInfoFile == "" {
		return ""
	}
	return path.Dir(s.KeyInfoFile)
}

// ArchiveOutput is one archive group resolved for a pipeline.
type ArchiveOutput struct {
	Settings domain.ArchiveSettings
	Dir      string        // e.g. archive/<workflowId>/<runId>/1280x720VBR
	Segment  time.Duration // its segments' length: its own, or the origin HLS's
}

// Playlist is the archive's HLS VOD playlist inside its directory.
func (a ArchiveOutput) Playlist() string { return path.Join(a.Dir, recorder.Playlist) }

// LivePlaylist names the master playlist of a live directory.
const LivePlaylist = "master.m3u8"

// streams is the plan of ffmpeg's output streams: video streams by index with the
// settings that encode them (nil for a copy of the source), and one audio stream
// per video stream, encoded or copied alike.
type streams struct {
	video  []*domain.VideoRendition
	names  []string // live variant names; the first len(live) video streams are the ladder
	live   int
	audio  *domain.Audio // nil: copy
	filter []string      // filter_complex chains
}

// Args returns ffmpeg's argv (without the program name) for a pipeline: FLV on
// stdin, one decode, the ladder encoded once, and a tee muxer writing the live
// HLS ladder, each archive and each destination from those encodes.
func Args(s Spec) ([]string, error) {
	ch := s.Settings.Channel
	hls := s.Settings.OriginHLS()
	if hls == nil {
		return nil, fmt.Errorf("the blueprint has no HLS output group to the origin")
	}
	plan := streams{audio: ch.Audio}
	if ch.Passthrough {
		plan.video = []*domain.VideoRendition{nil}
		plan.names = []string{domain.RenditionSource}
		plan.live = 1
	} else {
		for i := range ch.Video {
			plan.video = append(plan.video, &ch.Video[i])
			plan.names = append(plan.names, ch.Video[i].Name)
		}
		plan.live = len(ch.Video)
	}
	// Each archive records a live variant, or a stream of its own: the source
	// copied, or a rendition encoded for it alone.
	archiveStream := make([]int, len(s.Archives))
	for i, a := range s.Archives {
		archiveStream[i] = plan.archiveStream(a.Settings)
	}
	plan.buildFilter()

	args := []string{
		"-hide_banner", "-loglevel", "warning", "-nostats",
		"-progress", "pipe:1", "-stats_period", "0.5",
		// The outputs keep the input's timestamps, which the Feed keeps going
		// forward across publisher reconnects and ffmpeg restarts: a restarted
		// instance's segments then continue the archive's timeline (with a
		// gap for the restart) instead of starting it again from zero.
		"-copyts",
		// ffmpeg probes a live FLV input for 5 s by default before it writes
		// anything (about 2.5 s of it in practice); the Feed's FLV header
		// names the tracks that come, so a second of media is enough.
		"-analyzeduration", "1000000",
		"-f", "flv", "-i", "pipe:0",
	}
	if len(plan.filter) > 0 {
		args = append(args, "-filter_complex", strings.Join(plan.filter, ";"))
	}
	for i, v := range plan.video {
		if v == nil {
			args = append(args, "-map", "0:v:0")
		} else {
			args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		}
	}
	for range plan.video {
		args = append(args, "-map", "0:a:0")
	}
	for i, v := range plan.video {
		args = append(args, videoCodec(i, v)...)
	}
	if len(plan.filter) > 0 {
		// x264's SPS in the stream's extradata lets the HLS muxer write each
		// variant's CODECS attribute; the TS muxer still repeats it in-band.
		args = append(args, "-flags:v", "+global_header")
	}
	if plan.audio == nil {
		args = append(args, "-c:a", "copy")
	} else {
		a := plan.audio
		args = append(args, "-c:a", "aac", "-b:a", kbps(a.Bitrate), "-ar", strconv.Itoa(a.SampleRate), "-ac", strconv.Itoa(a.Channels))
	}

	var slaves []string
	slaves = append(slaves, plan.liveSlave(s, hls))
	for i := range s.Archives {
		slaves = append(slaves, archiveSlave(archiveStream[i], i))
	}
	for _, d := range s.Destinations {
		slaves = append(slaves, "[f=flv:select="+teeQuote("v:0,a:0")+":onfail=ignore:use_fifo=1]"+d)
	}
	args = append(args, "-f", "tee", strings.Join(slaves, "|"))
	return args, nil
}

// archiveStream returns the index of the video (and audio) stream an archive
// records, adding a stream to the plan when no live variant fits.
func (p *streams) archiveStream(a domain.ArchiveSettings) int {
	for i := 0; i < p.live; i++ {
		if a.Video == nil && p.names[i] == a.Rendition {
			return i
		}
	}
	p.video = append(p.video, a.Video) // nil: the source, copied
	return len(p.video) - 1
}

// buildFilter decodes once, splits, and scales each encoded stream.
func (p *streams) buildFilter() {
	var encoded []int
	for i, v := range p.video {
		if v != nil {
			encoded = append(encoded, i)
		}
	}
	if len(encoded) == 0 {
		return
	}
	var outs []string
	for _, i := range encoded {
		outs = append(outs, fmt.Sprintf("[s%d]", i))
	}
	p.filter = append(p.filter, fmt.Sprintf("[0:v:0]split=%d%s", len(encoded), strings.Join(outs, "")))
	for _, i := range encoded {
		v := p.video[i]
		chain := fmt.Sprintf("[s%d]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1", i, v.Width, v.Height, v.Width, v.Height)
		if v.Framerate > 0 {
			chain += ",fps=" + strconv.FormatFloat(v.Framerate, 'f', -1, 64)
		}
		p.filter = append(p.filter, chain+fmt.Sprintf("[v%d]", i))
	}
}

// videoCodec encodes one stream with x264, keyframes forced on the GOP grid so
// that every rendition cuts its segments at the same instants; or copies it.
func videoCodec(i int, v *domain.VideoRendition) []string {
	n := strconv.Itoa(i)
	if v == nil {
		return []string{"-c:v:" + n, "copy"}
	}
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

func (p *streams) liveSlave(s Spec, hls *domain.HLSSettings) string {
	var vsm []string
	for i := 0; i < p.live; i++ {
		vsm = append(vsm, fmt.Sprintf("v:%d,a:%d,name:%s", i, i, p.names[i]))
	}
	var sel []string
	for i := 0; i < p.live; i++ {
		sel = append(sel, fmt.Sprintf("v:%d", i), fmt.Sprintf("a:%d", i))
	}
	flags := "delete_segments+independent_segments+program_date_time"
	if s.KeyInfoFile != "" {
		flags += "+periodic_rekey"
	}
	if s.Restart {
		flags += continueFlags
	}
	opts := []string{
		"f=hls",
		"select=" + teeQuote(strings.Join(sel, ",")),
		"hls_time=" + strconv.Itoa(hls.SegmentSeconds),
		"hls_list_size=" + strconv.Itoa(hls.WindowSeconds/hls.SegmentSeconds),
		// Keep deleted segments a little longer than the window, for players
		// that fetched the playlist just before a segment left it.
		"hls_delete_threshold=3",
		"hls_flags=" + flags,
		"master_pl_name=" + LivePlaylist,
		"var_stream_map=" + teeQuote(strings.Join(vsm, " ")),
	}
	if s.KeyInfoFile != "" {
		// TS segments, which ffmpeg 5.1 can encrypt (not fMP4).
		opts = append(opts, "hls_key_info_file="+s.KeyInfoFile)
	}
	opts = append(opts, "hls_segment_filename="+path.Join(s.LiveDir, "%v", "seg_%06d.ts"))
	return "[" + strings.Join(opts, ":") + "]" + path.Join(s.LiveDir, "%v", "index.m3u8")
}

// archiveSlave sends an archive's stream to onair, which records it: MPEG-TS
// on output i (file descriptor 3+i), every packet flushed as it is muxed, so
// that what ffmpeg encoded before it died is in the archive.
func archiveSlave(stream, i int) string {
	return "[" + strings.Join([]string{
		"f=mpegts",
		"select=" + teeQuote(fmt.Sprintf("v:%d,a:%d", stream, stream)),
		"flush_packets=1",
	}, ":") + "]pipe:" + strconv.Itoa(ArchiveFD(i))
}

// ArchiveFD is the file descriptor on which ffmpeg writes archive i of its
// Spec: the supervisor's output i.
func ArchiveFD(i int) int { return 3 + i }

// continueFlags make a restarted ffmpeg go on with the playlists a previous one
// wrote: the same media sequence, a discontinuity where the new instance starts.
const continueFlags = "+append_list+discont_start"

// teeQuote quotes a tee slave option value that holds ':' or ','. The tee muxer
// unescapes twice (the slave list, then each option), hence the escaped quotes.
func teeQuote(v string) string { return `\'` + v + `\'` }

func kbps(bps int) string { return strconv.Itoa(bps/1000) + "k" }
