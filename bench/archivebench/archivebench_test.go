package main

import "testing"

func TestParseDrops(t *testing.T) {
	for _, tc := range []struct {
		name, metrics string
		summary       string
		archive       int
	}{
		{"none", "# HELP onair_stream_queue_dropped_total …\nonair_stream_queue_dropped_total{pipeline=\"0\",reader=\"archive\",rendition=\"source\",workflow=\"w\"} 0\n", "none", 0},
		{"archive and hls",
			"onair_stream_queue_dropped_total{pipeline=\"0\",reader=\"archive\",rendition=\"source\",workflow=\"w\"} 1362\n" +
				"onair_stream_queue_dropped_total{pipeline=\"0\",reader=\"hls\",rendition=\"source\",workflow=\"w\"} 6861\n" +
				"onair_stream_bitrate_bps{pipeline=\"0\",rendition=\"source\",workflow=\"w\"} 3e+06\n",
			`pipeline="0",reader="archive",rendition="source": 1362; pipeline="0",reader="hls",rendition="source": 6861`, 1362},
	} {
		t.Run(tc.name, func(t *testing.T) {
			summary, archive := parseDrops(tc.metrics)
			if summary != tc.summary || archive != tc.archive {
				t.Errorf("parseDrops = %q, %d; want %q, %d", summary, archive, tc.summary, tc.archive)
			}
		})
	}
}

func TestParseUploads(t *testing.T) {
	log := "No IAM service configured, enabling single account mode\n" +
		"04:46:54 | vgw | 200 |     898.926µs | 127.0.0.1 | POST | /b/bench/archive/w/r/source.mp4 | - | uploads=\n" +
		"04:46:54 | vgw | 200 |   60.515868ms | 127.0.0.1 | PUT | /b/bench/archive/w/r/source.mp4 | - | partNumber=2&uploadId=u\n" +
		"04:46:54 | vgw | 200 |   91.345823ms | 127.0.0.1 | PUT | /b/bench/archive/w/r/source.mp4 | - | partNumber=1&uploadId=u\n" +
		"04:46:54 | vgw | 200 |    73.39983ms | 127.0.0.1 | PUT | /b/bench/archive/w/r/source/seg_000001.ts | - | \n" +
		"04:46:55 | vgw | 200 |  121.758572ms | 127.0.0.1 | POST | /b/bench/archive/w/r/source.mp4 | - | uploadId=u\n"
	want := "the MP4 in 2 parts, each PUT p50 91 ms, max 91 ms, 0.2 s in all; CompleteMultipartUpload 122 ms"
	if got := parseUploads(log); got != want {
		t.Errorf("parseUploads =\n%s\nwant\n%s", got, want)
	}
	one := "04:46:55 | vgw | 200 |   40.2ms | 127.0.0.1 | PUT | /b/bench/archive/w/r/source.mp4 | - | \n"
	if got := parseUploads(one); got != "the MP4 in one PUT of 40 ms" {
		t.Errorf("parseUploads of one PUT = %q", got)
	}
	if got := parseUploads("nothing\n"); got != "no upload of an MP4 in its log" {
		t.Errorf("parseUploads of no upload = %q", got)
	}
}
