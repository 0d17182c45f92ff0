package destination

import (
	"net/url"
	"testing"
)

func TestScrub(t *testing.T) {
	cases := []struct{ url, text, want string }{
		{"rtmp://a.example.com/live2/KEY-s3cr3t", "publish live2/KEY-s3cr3t refused: NetStream.Publish.BadName KEY-s3cr3t",
			"publish *** refused: NetStream.Publish.BadName ***"},
		{"rtmps://live:PASS-s3cr3t@a.example.com:443/rtmp", "auth live:PASS-s3cr3t failed", "auth ***:*** failed"},
		{"rtmp://a.example.com/app?token=TOKEN-s3cr3t", "app?token=TOKEN-s3cr3t: 403", "app?***: 403"},
		{"rtmp://a.example.com/app/a/KEY-s3cr3t", "stream a/KEY-s3cr3t", "stream ***"},
		{"rtmp://127.0.0.1:1/live", "dial tcp 127.0.0.1:1: connect: connection refused", "dial tcp 127.0.0.1:1: connect: connection refused"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Scrub(u, tc.text); got != tc.want {
			t.Errorf("Scrub(%s, %q) = %q, want %q", tc.url, tc.text, got, tc.want)
		}
	}
}
