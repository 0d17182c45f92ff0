package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON prints the server's answer as it came, indented.
func printJSON(w io.Writer, raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// table writes aligned columns; Flush writes them out.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
		// A tab or newline in a name would break the columns.
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(cells[i])
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// details writes a key/value view, keys aligned, for get.
type details struct{ tw *tabwriter.Writer }

func newDetails(w io.Writer) *details {
	return &details{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

// add writes one line; an empty value prints as "-".
func (d *details) add(key, value string) {
	if value == "" {
		value = "-"
	}
	fmt.Fprintf(d.tw, "%s:\t%s\n", key, value)
}

func (d *details) flush() error { return d.tw.Flush() }

// moreHint tells how to fetch the next page of a list.
func moreHint(w io.Writer, next string) {
	if next != "" {
		fmt.Fprintf(w, "more: --next %s\n", next)
	}
}

// timeLayout is how times print: local, to the second, with the zone.
const timeLayout = "2006-01-02 15:04:05 MST"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(timeLayout)
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func fmtTags(tags []string) string { return strings.Join(tags, ",") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// fmtBytes prints a size in decimal units, as file browsers do.
func fmtBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// fmtSeconds prints a duration in seconds as 1h2m3s.
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

// fmtBitrate prints bits per second as 3.5 Mb/s.
func fmtBitrate(bps int) string {
	switch {
	case bps >= 1_000_000:
		return fmt.Sprintf("%g Mb/s", float64(bps)/1e6)
	case bps >= 1000:
		return fmt.Sprintf("%g kb/s", float64(bps)/1e3)
	}
	return fmt.Sprintf("%d b/s", bps)
}
