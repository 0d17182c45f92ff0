package pipeline

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestClassify maps stderr as ffmpeg 5.1 writes it to the cause a user reads.
func TestClassify(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  string
		known bool
	}{
		{"no libx264", []string{"Unknown encoder 'libx264'"},
			"this ffmpeg has no libx264: install an ffmpeg built with libx264 (Debian's ffmpeg package has it)", true},
		{"other encoder", []string{"Unknown encoder 'h264_nvenc'"},
			"this ffmpeg has no h264_nvenc: install an ffmpeg built with h264_nvenc", true},
		{"old ffmpeg", []string{"Unrecognized option 'stats_period'.", "Error splitting the argument list: Option not found"},
			"this ffmpeg does not know the option stats_period: install ffmpeg 5.1 or later", true},
		{"no audio", []string{"Stream map '0:a:0' matches no streams.", "To ignore this, add a trailing '?' to the map."},
			"the encoder sends no audio: this blueprint needs audio and video", true},
		{"no video", []string{"Stream map '0:v:0' matches no streams.", "To ignore this, add a trailing '?' to the map."},
			"the encoder sends no video: this blueprint needs audio and video", true},
		{"disk full", []string{"Error writing trailer of /dev/full: No space left on device", "Error closing file /dev/full: No space left on device"},
			"the disk is full", true},
		{"disk full beats what follows", []string{"[hls @ 0x5] failed to rename file a.tmp to a: No such file or directory", "av_interleaved_write_frame(): No space left on device"},
			"the disk is full", true},
		{"permission denied on a file", []string{"ro/y.flv: Permission denied"},
			"cannot write ro/y.flv: permission denied", true},
		{"permission denied in hls", []string{
			"[hls @ 0x56315f40a1c0] Failed to open file 'ro/x0.ts'",
			"av_interleaved_write_frame(): Permission denied",
			"[hls @ 0x56315f40a1c0] failed to rename file ro/x.m3u8.tmp to ro/x.m3u8: No such file or directory",
		}, "cannot write ro/x0.ts: permission denied", true},
		{"output exists", []string{"File 'out.flv' already exists. Exiting."},
			"cannot write out.flv: the file already exists", true},
		{"rtmp refused", []string{
			"[tcp @ 0x55c148dd5540] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused",
			"[rtmp @ 0x55c148e68280] Cannot open connection tcp://127.0.0.1:1?tcp_nodelay=0",
			"rtmp://127.0.0.1:1/app/secret-key: Connection refused",
		}, "destination refused the connection: 127.0.0.1:1", true},
		{"tee slave refused, no key in the cause", []string{
			"[tcp @ 0x55c951835d40] Connection to tcp://a.rtmp.example.com:1935?tcp_nodelay=0 failed: Connection refused",
			"[tee @ 0x55c9517f7280] Slave '[f=flv:onfail=ignore]rtmp://user:pw@a.rtmp.example.com/live2/secret': error opening: Connection refused",
		}, "destination refused the connection: a.rtmp.example.com", true},
		{"timeout", []string{"[tcp @ 0x1] Connection to tcp://10.1.1.1:1935?tcp_nodelay=0 failed: Connection timed out"},
			"destination did not answer: 10.1.1.1:1935", true},
		{"dns", []string{"[tcp @ 0x1] Failed to resolve hostname nope.invalid: Name or service not known"},
			"cannot resolve the destination host nope.invalid", true},
		{"invalid input", []string{"[flv @ 0x561ab6664940] Unable to seek to the next packet", "pipe:0: Invalid data found when processing input"},
			"the input is not valid FLV", true},
		{"garbage after an FLV header", []string{"[flv @ 0x1] Read FLV header error, input file is not a standard flv format, first PreviousTagSize0 always is 0", "pipe:0: could not find codec parameters"},
			"the input is not valid FLV", true},
		{"no input", []string{"pipe:0: could not find codec parameters"}, "no input was received", true},
		{"nothing encoded", []string{"Output file is empty, nothing was encoded (check -ss / -t / -frames parameters if used)"},
			"no input was received", true},
		{"missing directory", []string{"nodir/x.flv: No such file or directory"},
			"cannot write nodir/x.flv: its directory does not exist", true},
		{"missing hls directory", []string{"[hls @ 0x55d32daea1c0] Failed to open file 'nodir/x0.ts'", "av_interleaved_write_frame(): No such file or directory"},
			"cannot write nodir/x0.ts: its directory does not exist", true},
		{"unknown: the last meaningful line", []string{"[h264 @ 0x1] something odd", "[aac @ 0x55] Too many bits per frame requested", "Conversion failed!"},
			"aac: Too many bits per frame requested", false},
		{"nothing", nil, "", false},
	}
	for _, tc := range cases {
		got, known := classify(tc.lines)
		if got != tc.want || known != tc.known {
			t.Errorf("%s: classify = %q, %v; want %q, %v", tc.name, got, known, tc.want, tc.known)
		}
	}
}

func TestExitErrorText(t *testing.T) {
	cases := []struct {
		err  *ExitError
		want string
	}{
		{&ExitError{Code: 1, Cause: "the disk is full"}, "the disk is full (ffmpeg exited 1)"},
		{&ExitError{Code: 137, Signal: syscall.SIGKILL, Cause: "ffmpeg was killed from outside onair"}, "ffmpeg was killed from outside onair (ffmpeg killed by signal 9, killed)"},
		{&ExitError{Code: -1, Cause: "ffmpeg not found at /x: install ffmpeg or set its path"}, "ffmpeg not found at /x: install ffmpeg or set its path"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestStartError(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&exec.Error{Name: "ffmpeg", Err: exec.ErrNotFound}, "ffmpeg not found at ffmpeg: install ffmpeg or set its path"},
		{fmt.Errorf("fork/exec /opt/ff: %w", syscall.ENOENT), "ffmpeg not found at /opt/ff: install ffmpeg or set its path"},
		{fmt.Errorf("fork/exec /opt/ff: %w", syscall.EACCES), "cannot run ffmpeg at /opt/ff: permission denied"},
		{fmt.Errorf("fork/exec /opt/ff: %w", syscall.ENOEXEC), "/opt/ff is not a program this machine can run: install ffmpeg for it"},
	}
	for _, tc := range cases {
		name := "/opt/ff"
		var ee *exec.Error
		if errors.As(tc.err, &ee) {
			name = ee.Name
		}
		x := startError(name, t.TempDir(), tc.err)
		if x.Cause != tc.want || x.Code != -1 || strings.Contains(x.Error(), "exited") {
			t.Errorf("startError(%v) = %q (code %d)", tc.err, x.Error(), x.Code)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	args := []string{"-i", "pipe:0", "-f", "tee", "[f=hls]live/wf/index.m3u8|[f=flv:onfail=ignore]rtmp://a.example/live2/KEY-secret",
		"-hls_key_info_file", "live/wf/keys/keyinfo"}
	got := strings.Join(redactArgs(args), " ")
	if strings.Contains(got, "KEY-secret") || !strings.Contains(got, "rtmp://a.example/***") || !strings.Contains(got, "live/wf/index.m3u8") {
		t.Errorf("redactArgs = %s", got)
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"rtmp://a.rtmp.example.com/live2/secret: Connection refused", "rtmp://a.rtmp.example.com/***: Connection refused"},
		{"[tee @ 0x1] Slave '[f=flv:onfail=ignore]rtmps://u:pw@x.example.com:443/app/key': error opening: Connection refused",
			"[tee @ 0x1] Slave '[f=flv:onfail=ignore]rtmps://***@x.example.com:443/***': error opening: Connection refused"},
		{"[tcp @ 0x1] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused", "[tcp @ 0x1] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused"},
		{"live/wf/720p/seg_000001.ts: Permission denied", "live/wf/720p/seg_000001.ts: Permission denied"},
		{"[https @ 0x1] HTTP error 403 on https://ingest.example/x/index.m3u8?token=secret&x=1", "[https @ 0x1] HTTP error 403 on https://ingest.example/x/index.m3u8?***"},
		{"Opening 'http://u:pw@ingest.example/a' for writing", "Opening 'http://***@ingest.example/a' for writing"},
	}
	for _, tc := range cases {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if cause, _ := classify([]string{redact(tc.in)}); strings.Contains(cause, "secret") || strings.Contains(cause, "key") || strings.Contains(cause, "pw") {
			t.Errorf("cause %q shows a secret", cause)
		}
	}
}
