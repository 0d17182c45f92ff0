// Package fftest finds ffmpeg and ffprobe for tests that run them, and reads
// what ffprobe says of a file.
package fftest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Tools returns the paths of ffmpeg and ffprobe. A machine without them fails
// the test, since make test installs them; ONAIR_SKIP_FFMPEG=1 skips it instead.
func Tools(t testing.TB) (ffmpeg, ffprobe string) {
	t.Helper()
	var err error
	if ffmpeg, err = exec.LookPath("ffmpeg"); err == nil {
		ffprobe, err = exec.LookPath("ffprobe")
	}
	if err != nil {
		msg := "this test needs ffmpeg and ffprobe: apt-get install ffmpeg (make test does)"
		if os.Getenv("ONAIR_SKIP_FFMPEG") == "1" {
			t.Skip("SKIPPED: " + msg)
		}
		t.Fatal(msg)
	}
	return ffmpeg, ffprobe
}

// Duration returns a media file's duration in seconds, as ffprobe reads it.
func Duration(t testing.TB, file string) float64 {
	t.Helper()
	_, ffprobe := Tools(t)
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe %s: duration %q", file, out)
	}
	return d
}
