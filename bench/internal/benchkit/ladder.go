package benchkit

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Ladder is what a benchmark reads of a blueprint through the API: its
// ladder and its segment length.
type Ladder struct {
	Settings struct {
		Channel struct {
			Video []struct {
				Name                  string
				Width, Height         int
				Bitrate, Maxrate      int
				GopSeconds, Framerate float64
				Profile               string
			}
			Audio *struct{ SampleRate, Bitrate, Channels int }
		}
		OutputGroups []struct {
			Type string
			HLS  *struct{ SegmentSeconds int }
		}
	}
}

// BareLadderArgs is bare ffmpeg listening for one RTMP publisher at url and
// encoding the blueprint's ladder into HLS under dir, with the x264 settings
// onair's pipeline uses.
func BareLadderArgs(l Ladder, url, dir string) ([]string, error) {
	ch := l.Settings.Channel
	if len(ch.Video) == 0 || ch.Audio == nil {
		return nil, errors.New("the blueprint has no ladder")
	}
	segment := 0
	for _, g := range l.Settings.OutputGroups {
		if g.Type == "HLS" && g.HLS != nil && segment == 0 {
			segment = g.HLS.SegmentSeconds
		}
	}
	if segment == 0 {
		return nil, errors.New("the blueprint has no HLS output group")
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-listen", "1", "-f", "flv", "-i", url}
	var split, chains, vsm []string
	for i, v := range ch.Video {
		split = append(split, fmt.Sprintf("[s%d]", i))
		chain := fmt.Sprintf("[s%d]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1", i, v.Width, v.Height, v.Width, v.Height)
		if v.Framerate > 0 {
			chain += ",fps=" + strconv.FormatFloat(v.Framerate, 'f', -1, 64)
		}
		chains = append(chains, chain+fmt.Sprintf("[v%d]", i))
		vsm = append(vsm, fmt.Sprintf("v:%d,a:%d,name:%s", i, i, v.Name))
	}
	filter := fmt.Sprintf("[0:v:0]split=%d%s;%s", len(ch.Video), strings.Join(split, ""), strings.Join(chains, ";"))
	args = append(args, "-filter_complex", filter)
	for i := range ch.Video {
		args = append(args, "-map", fmt.Sprintf("[v%d]", i))
	}
	for range ch.Video {
		args = append(args, "-map", "0:a:0")
	}
	for i, v := range ch.Video {
		n := strconv.Itoa(i)
		gop := strconv.FormatFloat(v.GopSeconds, 'f', -1, 64)
		args = append(args,
			"-c:v:"+n, "libx264", "-preset:v:"+n, "veryfast", "-profile:v:"+n, v.Profile,
			"-b:v:"+n, kbps(v.Bitrate), "-maxrate:v:"+n, kbps(v.Maxrate), "-bufsize:v:"+n, kbps(2*v.Maxrate),
			"-pix_fmt:v:"+n, "yuv420p", "-force_key_frames:v:"+n, "expr:gte(t,n_forced*"+gop+")",
			"-sc_threshold:v:"+n, "0", "-g:v:"+n, strconv.Itoa(int(math.Ceil(v.GopSeconds*120))))
	}
	a := ch.Audio
	args = append(args, "-flags:v", "+global_header",
		"-c:a", "aac", "-b:a", kbps(a.Bitrate), "-ar", strconv.Itoa(a.SampleRate), "-ac", strconv.Itoa(a.Channels),
		"-f", "hls", "-hls_time", strconv.Itoa(segment), "-hls_list_size", "0",
		"-hls_flags", "independent_segments", "-master_pl_name", "master.m3u8",
		"-var_stream_map", strings.Join(vsm, " "),
		"-hls_segment_filename", filepath.Join(dir, "%v", "seg_%06d.ts"), filepath.Join(dir, "%v", "index.m3u8"))
	return args, nil
}

func kbps(bps int) string { return strconv.Itoa(bps/1000) + "k" }
