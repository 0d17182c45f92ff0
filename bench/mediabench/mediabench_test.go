package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"onair/bench/internal/benchkit"
)

// The bare ffmpeg of P2 encodes the blueprint's ladder with the x264 settings
// of onair's pipeline, and refuses a blueprint it cannot run.
func TestBareLadderArgsEncodeEveryRendition(t *testing.T) {
	const bp = `{"settings":{"channel":{"video":[
		{"name":"720p","width":1280,"height":720,"bitrate":4096000,"maxrate":6144000,"gopSeconds":3,"profile":"high"},
		{"name":"270p","width":480,"height":270,"bitrate":496000,"maxrate":744000,"gopSeconds":3,"profile":"high","framerate":15}],
		"audio":{"codec":"AAC","sampleRate":48000,"bitrate":96000,"channels":2}},
		"outputGroups":[{"type":"ARCHIVE"},{"type":"HLS","hls":{"segmentSeconds":6}}]}}`
	var l benchkit.Ladder
	if err := json.Unmarshal([]byte(bp), &l); err != nil {
		t.Fatal(err)
	}
	args, err := benchkit.BareLadderArgs(l, "rtmp://127.0.0.1:1/live/key", "/tmp/out")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(args, " ")
	for _, want := range []string{
		"-listen 1 -f flv -i rtmp://127.0.0.1:1/live/key",
		"[0:v:0]split=2[s0][s1];[s0]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1[v0];",
		"pad=480:270:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=15[v1]",
		"-c:v:0 libx264 -preset:v:0 veryfast -profile:v:0 high -b:v:0 4096k -maxrate:v:0 6144k -bufsize:v:0 12288k",
		"-force_key_frames:v:1 expr:gte(t,n_forced*3) -sc_threshold:v:1 0 -g:v:1 360",
		"-c:a aac -b:a 96k -ar 48000 -ac 2 -f hls -hls_time 6",
		"-var_stream_map v:0,a:0,name:720p v:1,a:1,name:270p",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("the command line lacks %q:\n%s", want, line)
		}
	}
	l.Settings.OutputGroups = nil
	if _, err := benchkit.BareLadderArgs(l, "rtmp://x/live/key", "/tmp/out"); err == nil {
		t.Error("a ladder without an HLS output group gave a command line")
	}
}

// nginx-rtmp starts from the generated configuration, takes a publisher and
// writes its HLS where the benchmark reads it.
func TestNginxPackagesAPublisher(t *testing.T) {
	o := options{nginx: "/usr/sbin/nginx", nginxModule: "/usr/lib/nginx/modules/ngx_rtmp_module.so", ffmpeg: "ffmpeg"}
	if err := checkNginx(o); err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil || os.Getenv("ONAIR_SKIP_FFMPEG") != "" {
		t.Skip("no ffmpeg")
	}
	ng, err := startNginx(o, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ng.Stop()
	tree, err := benchkit.ReadTree(ng.PID())
	if err != nil || len(tree.PIDs) < 2 {
		t.Fatalf("nginx's tree %v (%v): want its master and a worker", tree.PIDs, err)
	}
	pub := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=10", "-t", "3",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "flv", ng.URL("k"))
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("publishing: %v: %s", err, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(benchkit.Segments(ng.Playlist("k"))) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("nginx listed no segment in %s", ng.Playlist("k"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
