package hlstest

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	attrName = regexp.MustCompile(`^[A-Z0-9-]+$`)
	hexIV    = regexp.MustCompile(`^0[xX][0-9a-fA-F]{32}$`)
	decimal  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	integer  = regexp.MustCompile(`^[0-9]+$`)
	enumStr  = regexp.MustCompile(`^[^",\s]+$`)
)

// attrs parses an attribute list (RFC 8216 4.2) strictly: each name once,
// each value a quoted string, or an unquoted token without commas, quotes or
// white space.
func attrs(s string) (map[string]string, error) {
	out := map[string]string{}
	for s != "" {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || !attrName.MatchString(name) {
			return nil, fmt.Errorf("attribute %q", s)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("attribute %s twice", name)
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("attribute %s: unterminated quoted string", name)
			}
			val, rest = rest[:end+2], rest[end+2:]
		} else {
			val, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
			if !enumStr.MatchString(val) {
				return nil, fmt.Errorf("attribute %s: value %q", name, val)
			}
			if rest == "," {
				rest = ""
			}
		}
		out[name] = val
		if rest == "" {
			break
		}
		if !strings.HasPrefix(rest, ",") || rest == "," {
			return nil, fmt.Errorf("after attribute %s: %q", name, rest)
		}
		s = rest[1:]
	}
	return out, nil
}

func quoted(a map[string]string, name string) (string, bool) {
	v, ok := a[name]
	if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	return v[1 : len(v)-1], true
}

func float(v string) (float64, error) {
	if !decimal.MatchString(v) {
		return 0, fmt.Errorf("%q is not a decimal", v)
	}
	return strconv.ParseFloat(v, 64)
}

func lines(b []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if len(out) == 0 || out[0] != "#EXTM3U" {
		return nil, fmt.Errorf("the first line is not #EXTM3U")
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return nil, fmt.Errorf("the last line has no line break")
	}
	return out, sc.Err()
}
