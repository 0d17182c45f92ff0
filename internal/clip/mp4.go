package clip

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MakeMP4 cuts one section to dir/mp4Name by stream copy from its clip
// playlist dir/playlistName: length seconds from offset seconds into the
// playlist. Stream copy cannot start between keyframes, so ffmpeg copies from
// the keyframe before offset and writes an MP4 edit list that starts the
// presentation at offset: players that honour edit lists (ffmpeg, browsers)
// start on the very frame, others up to one GOP early. ffmpeg writes a
// temporary file that is renamed into place once whole, so the MP4 can be
// served as soon as its name exists. Cancelling ctx kills ffmpeg and leaves no
// file.
func MakeMP4(ctx context.Context, ffmpeg, dir, playlistName, mp4Name string, offset, length float64) error {
	for _, n := range []string{playlistName, mp4Name} {
		if err := checkName(n); err != nil {
			return err
		}
	}
	if !finite(offset) || !finite(length) || offset < 0 || length <= 0 {
		return fmt.Errorf("clip %s: offset %g and length %g must be ≥ 0 and > 0", mp4Name, offset, length)
	}
	f, err := os.CreateTemp(dir, "."+mp4Name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	cmd := exec.CommandContext(ctx, ffmpeg, mp4Args(filepath.Join(dir, playlistName), tmp, offset, length)...)
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		if ctx.Err() != nil {
			return fmt.Errorf("clip %s: %w", mp4Name, ctx.Err())
		}
		return fmt.Errorf("clip %s: making the MP4: %v: %s", mp4Name, err, lastLine(out))
	}
	if err := os.Rename(tmp, filepath.Join(dir, mp4Name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// mp4Args is ffmpeg's command line for MakeMP4. The -ss before -i seeks the
// HLS demuxer to the segment holding offset instead of reading the playlist
// from its start; -t after it bounds the output. The format is named because
// the temporary file's name does not end in .mp4.
//
// The HLS demuxer seeks to the start of that segment, and ffmpeg itself drops
// what comes before offset. But the HLS demuxer marks its timestamps as
// discontinuous, and ffmpeg takes a first packet more than
// -dts_delta_threshold (10 s) from where it seeked to for a discontinuity and
// shifts the timeline onto it: a section 50 s into a 300 s segment would then
// be cut from the segment's start. The threshold is raised above offset, so
// that only a real discontinuity moves the timeline (a backward jump, as after
// a restart, is healed whatever the threshold).
func mp4Args(playlist, out string, offset, length float64) []string {
	return []string{
		"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-dts_delta_threshold", strconv.Itoa(max(10, int(math.Ceil(offset))+1)),
		"-ss", seconds(offset),
		"-i", playlist,
		"-t", seconds(length),
		"-map", "0", "-c", "copy",
		"-movflags", "+faststart",
		"-f", "mp4", out,
	}
}

func seconds(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(no output)"
	}
	return s[strings.LastIndexByte(s, '\n')+1:]
}
