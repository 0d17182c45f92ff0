package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
)

// ExitError is an ffmpeg exit: the code, the cause a user can act on, and the
// last stderr lines. Its text becomes a run's cause.
type ExitError struct {
	// Code is the exit status; 128+N for a process killed by signal N (as a
	// shell shows it); -1 when no process ran (ffmpeg could not be executed).
	Code   int
	Signal syscall.Signal // the signal that killed ffmpeg, 0 if it exited
	Cause  string         // what went wrong, in words a user can act on
	Stderr []string       // ffmpeg's last stderr lines, consecutive repeats collapsed
}

// Error returns the cause, then how ffmpeg ended.
func (e *ExitError) Error() string {
	switch {
	case e.Signal != 0:
		return fmt.Sprintf("%s (ffmpeg killed by signal %d, %s)", e.Cause, int(e.Signal), e.Signal)
	case e.Code >= 0:
		return fmt.Sprintf("%s (ffmpeg exited %d)", e.Cause, e.Code)
	}
	return e.Cause
}

// startError explains why ffmpeg could not be executed at all.
func startError(ffmpeg, dir string, err error) *ExitError {
	var cause string
	var pe *fs.PathError
	// A missing working directory fails the exec with ENOENT too, as if it were ffmpeg.
	_, dirErr := os.Stat(dir)
	switch {
	case errors.As(err, &pe) && pe.Op == "chdir":
		cause = fmt.Sprintf("cannot enter the data directory %s: %v", dir, pe.Err)
	case dir != "" && dirErr != nil:
		cause = fmt.Sprintf("cannot enter the data directory %s: %v", dir, errors.Unwrap(dirErr))
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		cause = fmt.Sprintf("ffmpeg not found at %s: install ffmpeg or set its path", ffmpeg)
	case errors.Is(err, fs.ErrPermission):
		cause = fmt.Sprintf("cannot run ffmpeg at %s: permission denied", ffmpeg)
	case errors.Is(err, syscall.ENOEXEC):
		cause = fmt.Sprintf("%s is not a program this machine can run: install ffmpeg for it", ffmpeg)
	default:
		cause = fmt.Sprintf("cannot run ffmpeg at %s: %v", ffmpeg, err)
	}
	return &ExitError{Code: -1, Cause: cause}
}

// A failure is one known way ffmpeg fails: a stderr pattern and the cause it
// means. cause gets the match and every kept line, for context such as the file
// a later line says it could not write.
type failure struct {
	re    *regexp.Regexp
	cause func(m []string, lines []string) string
}

func fixed(s string) func([]string, []string) string {
	return func([]string, []string) string { return s }
}

// failures is ordered by precedence: when several match, the first wins, so a
// root cause beats the errors that follow from it.
var failures = []failure{
	{regexp.MustCompile(`Unknown encoder '([^']+)'`), func(m, _ []string) string {
		hint := ""
		if m[1] == "libx264" {
			hint = " (Debian's ffmpeg package has it)"
		}
		return fmt.Sprintf("this ffmpeg has no %s: install an ffmpeg built with %s%s", m[1], m[1], hint)
	}},
	{regexp.MustCompile(`Unrecognized option '([^']+)'|Option (\S+) not found`), func(m, _ []string) string {
		return fmt.Sprintf("this ffmpeg does not know the option %s: install ffmpeg 5.1 or later", strings.TrimPrefix(m[1]+m[2], "-"))
	}},
	{regexp.MustCompile(`Stream map '0:a[^']*' matches no streams`), fixed("the encoder sends no audio: this blueprint needs audio and video")},
	{regexp.MustCompile(`Stream map '0:v[^']*' matches no streams`), fixed("the encoder sends no video: this blueprint needs audio and video")},
	{regexp.MustCompile(`No space left on device`), fixed("the disk is full")},
	{regexp.MustCompile(`Permission denied`), func(_, lines []string) string {
		return "cannot write " + subject(lines, "Permission denied") + ": permission denied"
	}},
	{regexp.MustCompile(`File '([^']+)' already exists`), func(m, _ []string) string {
		return fmt.Sprintf("cannot write %s: the file already exists", m[1])
	}},
	{regexp.MustCompile(`Connection refused`), func(m, lines []string) string {
		return "destination refused the connection: " + host(lines, "Connection refused")
	}},
	{regexp.MustCompile(`Connection timed out`), func(m, lines []string) string {
		return "destination did not answer: " + host(lines, "Connection timed out")
	}},
	{regexp.MustCompile(`Failed to resolve hostname (\S+?):?\s|Name or service not known|Temporary failure in name resolution`), func(m, lines []string) string {
		if m[1] != "" {
			return "cannot resolve the destination host " + m[1]
		}
		return "cannot resolve the destination host " + host(lines, "")
	}},
	{regexp.MustCompile(`Invalid data found when processing input|Read FLV header error|Unable to seek to the next packet`), fixed("the input is not valid FLV")},
	{regexp.MustCompile(`Output file is empty, nothing was encoded|pipe:0?: could not find codec parameters|Output file #\d+ does not contain any stream`), fixed("no input was received")},
	{regexp.MustCompile(`No such file or directory`), func(_, lines []string) string {
		return "cannot write " + subject(lines, "No such file or directory") + ": its directory does not exist"
	}},
}

// noise is stderr that never explains an exit.
var noise = regexp.MustCompile(`^(To ignore this, add a trailing|Last message repeated|Conversion failed!|Exiting normally, received signal|Error closing progress log|Error writing trailer of .*: Immediate exit requested)`)

// logPrefix is the "[hls @ 0x55d32daea1c0] " context ffmpeg puts before a message.
var logPrefix = regexp.MustCompile(`^\[([^\]@]+?) @ 0x[0-9a-f]+\] `)

// classify returns the cause of an exit from ffmpeg's last stderr lines. known
// is true for a known failure (the first of the table found, newest line
// first); otherwise the cause is the last line that means something, or "".
func classify(lines []string) (cause string, known bool) {
	for _, f := range failures {
		for i := len(lines) - 1; i >= 0; i-- {
			if m := f.re.FindStringSubmatch(lines[i]); m != nil {
				return f.cause(m, lines), true
			}
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || noise.MatchString(l) {
			continue
		}
		return logPrefix.ReplaceAllString(l, "$1: "), false
	}
	return "", false
}

var (
	openedFile = regexp.MustCompile(`(?:Failed to open file|Could not open file|Opening) '([^']+)'`)
	subjectOf  = regexp.MustCompile(`^(.+?): [^:]+$`)
)

// subject finds the file behind an I/O error: ffmpeg names it either on the
// error line ("out.flv: Permission denied") or on a line before it (the HLS
// muxer's "Failed to open file 'x0.ts'", then "av_interleaved_write_frame(): Permission denied").
func subject(lines []string, errText string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := logPrefix.ReplaceAllString(lines[i], "")
		if m := openedFile.FindStringSubmatch(l); m != nil {
			return m[1]
		}
		if !strings.HasSuffix(l, ": "+errText) {
			continue
		}
		if m := subjectOf.FindStringSubmatch(l); m != nil && !strings.HasSuffix(m[1], ")") && !strings.HasPrefix(m[1], "pipe:") {
			return strings.TrimPrefix(strings.TrimPrefix(m[1], "Error closing file "), "Error opening output ")
		}
	}
	return "an output"
}

var urlHost = regexp.MustCompile(`\b(?:rtmps?|rtmpt|srt|https?|tcp|tls)://([^/\s'?]+)`)

// host returns the host (and port) of the destination an error is about, never
// the rest of its URL: RTMP paths carry stream keys. A line with errText is
// preferred, and an RTMP URL over the tcp:// one the RTMP client opened.
func host(lines []string, errText string) string {
	var tcp string
	for i := len(lines) - 1; i >= 0; i-- {
		if errText != "" && !strings.Contains(lines[i], errText) {
			continue
		}
		for _, m := range urlHost.FindAllStringSubmatch(lines[i], -1) {
			h := m[1][strings.LastIndexByte(m[1], '@')+1:] // no user:password@
			if !strings.HasPrefix(m[0], "tcp://") && !strings.HasPrefix(m[0], "tls://") {
				return h
			}
			if tcp == "" {
				tcp = h
			}
		}
	}
	if tcp != "" {
		return tcp
	}
	if errText != "" {
		return host(lines, "")
	}
	return "unknown host"
}

var (
	secretPath  = regexp.MustCompile(`\b((?:rtmps?|rtmpt|rtmpe|srt)://[^/\s'"]+)/[^\s'"]*`)
	userInfo    = regexp.MustCompile(`://[^/\s'"@]+@`)
	secretQuery = regexp.MustCompile(`\b(https?://[^?\s'"]*)\?[^\s'"]*`)
)

// redact hides what a destination URL holds beyond its host, stream keys,
// passwords and query tokens, from the stderr lines that are logged and kept
// and from the command line that is logged.
func redact(line string) string {
	if !strings.Contains(line, "://") {
		return line
	}
	line = userInfo.ReplaceAllString(line, "://***@")
	line = secretQuery.ReplaceAllString(line, "$1?***")
	return secretPath.ReplaceAllStringFunc(line, func(u string) string {
		m := secretPath.FindStringSubmatch(u)
		if strings.HasSuffix(u, ":") { // ffmpeg's "url: error"
			return m[1] + "/***:"
		}
		return m[1] + "/***"
	})
}

// redactArgs is redact over a command line: the destinations' URLs are in it.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = redact(a)
	}
	return out
}
