package cli

import "testing"

func TestFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{fmtBytes(0), "0 B"},
		{fmtBytes(999), "999 B"},
		{fmtBytes(1500), "1.5 kB"},
		{fmtBytes(734_003_200), "734.0 MB"},
		{fmtBytes(2_500_000_000), "2.5 GB"},
		{fmtSeconds(0), "0s"},
		{fmtSeconds(62.4), "1m2s"},
		{fmtSeconds(3725.6), "1h2m6s"},
		{fmtBitrate(4_096_000), "4.096 Mb/s"},
		{fmtBitrate(96_000), "96 kb/s"},
		{inputLabel(0, 1, 0, 1), "ingest"},
		{inputLabel(0, 1, 0, 2), "ingest main"},
		{inputLabel(0, 1, 1, 2), "ingest backup"},
		{inputLabel(1, 2, 0, 1), "ingest 2"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}
