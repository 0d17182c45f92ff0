package main

import (
	"fmt"
	"os"
	"strconv"

	"onair/bench/internal/benchkit"
	"onair/internal/testutil/nginxrtmp"
)

// destinations are how many RTMP destinations "dest" gives its channel.
const destinations = 3

// dest is what RTMP destinations cost: one passthrough channel of the
// built-in blueprint, with no destination and then with three, each pushing
// to its own stream on an nginx-rtmp outside the measured tree, the same
// source published with -c copy for the same time.
func dest(o options, src source) error {
	fmt.Printf("Destinations: one rtmp-passthrough channel, %d s of the source, without destinations and with %d RTMP ones\n", o.p3Seconds, destinations)
	fmt.Println("  (CPU = onair's utime+stime over the publishing; the destinations push to nginx-rtmp, not measured)")
	fmt.Printf("  %-22s %10s %10s %12s\n", "onair", "CPU-s", "kernel", "peak RSS")
	dir, err := tempDir("dest-nginx")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ng, err := nginxrtmp.Start(dir, nginxrtmp.Options{Nginx: o.nginx, Module: o.nginxModule})
	if err != nil {
		return err
	}
	defer ng.Stop()
	var got [2]benchkit.Usage
	for i, n := range []int{0, destinations} {
		edit := func(bp map[string]any) {
			settings, _ := bp["settings"].(map[string]any)
			var dests, groups []any
			for j := range n {
				id := "cdn" + strconv.Itoa(j)
				dests = append(dests, map[string]any{"id": id, "settings": []any{map[string]any{"url": "rtmp://" + ng.Addr + "/live", "streamName": id}}})
				groups = append(groups, map[string]any{"name": id, "type": "RTMP", "destinationId": id})
			}
			if n > 0 {
				settings["destinations"] = dests
				settings["outputGroups"] = append(settings["outputGroups"].([]any), groups...)
			}
		}
		t, streams, err := startOnairPassthrough(o, 1, nil, edit)
		if err != nil {
			return err
		}
		m, err := publish(t, streams, src, o.p3Seconds, false, nil)
		t.close()
		if err != nil {
			return err
		}
		got[i] = m.use
		fmt.Printf("  %-22s %10.2f %10.2f %9.1f MB\n", fmt.Sprintf("%d destinations", n), m.use.CPU.Seconds(), m.use.Sys.Seconds(), benchkit.MB(m.use.PeakRSS))
	}
	fmt.Printf("  with/without: CPU %.2fx, RSS %.2fx\n", ratio(got[1].CPU, got[0].CPU), float64(got[1].PeakRSS)/float64(got[0].PeakRSS))
	return nil
}
